"""create_app(): settings, cells, middleware, routers, templates, lifespan."""

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import structlog
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoptide import ids, logs
from shoptide.accounts.service import Passwords
from shoptide.accounts.throttle import SignInThrottle
from shoptide.affiliate.commissions import handlers as affiliate_handlers
from shoptide.catalog import handlers as catalog_handlers
from shoptide.content import handlers as content_handlers
from shoptide.content import media as content_media
from shoptide.content.api import UPLOAD_PATHS as VIDEO_UPLOAD_PATHS
from shoptide.creators import flows as creators_flows
from shoptide.db import Databases
from shoptide.deps import DEFAULT_MARKET
from shoptide.errors import DomainError
from shoptide.events import Dispatcher, HandlerRegistry
from shoptide.feed import handlers as feed_handlers
from shoptide.feed import serving as feed_serving
from shoptide.feed import training as feed_training
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures, open_features
from shoptide.live import flows as live_flows
from shoptide.live import handlers as live_handlers
from shoptide.live.realtime import Hub, make_broker
from shoptide.media import MEDIA_PATH
from shoptide.orders.service import STATUS_LABELS
from shoptide.payments import handlers as payment_handlers
from shoptide.payments.gateway import PaymentGateway, sandbox_gateway
from shoptide.settings import Settings
from shoptide.web import openapi as web_openapi
from shoptide.web.rendering import PACKAGE_DIR, SOURCE_LOCALE, templates
from shoptide.web.security_headers import SecurityHeaders
from shoptide.web.text import refuse_invalid_text
from shoptide.web.uploads import SignedInUploads

log = structlog.get_logger(__name__)

MARKET_CACHE_SECONDS = 10


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies over the limit with 413, whether or not they declare a length.
    The paths in `larger` (exact matches: video uploads) have limits of their own."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app, self.max_bytes, self.larger = app, max_bytes, dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen, too_large, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                too_large = True
                raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI turns a failed body read into its own 400; answer 413 instead
            nonlocal started
            if too_large and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if too_large and not started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = JSONResponse(
            _error_body("payload_too_large", f"The request body is over {limit:,} bytes."),
            status_code=413,
        )
        await response(scope, receive, send)


def _error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", "text/html"
    )


def _describe_one(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ())]
    if loc[:1] == ["header"] and error.get("type") == "missing":
        return f"The {loc[-1].title()} header is required."
    where = ".".join(p for p in loc if p not in ("body", "query", "path", "header"))
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def _describe_validation(exc: RequestValidationError) -> str:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return "The request body is not valid JSON."
    return "; ".join(_describe_one(e) for e in errors) or "The request is not valid."


def _unreadable_json(exc: StarletteHTTPException) -> bool:
    """FastAPI answers a JSON body it cannot decode (not UTF-8, nested past the recursion
    limit) with a bare 400; json.JSONDecodeError, the other bad bodies, become 422s."""
    return exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError)


def _error_locale(request: Request) -> str:
    """Shoppers read the error page in their market's language when the market is at hand
    (cached by the page they came from); Seller Center, Creator Center and the console stay
    in English."""
    if request.url.path.startswith(("/seller", "/creator", "/admin")):
        return SOURCE_LOCALE
    code = request.scope.get("session", {}).get("market") or DEFAULT_MARKET
    market = request.app.state.market_cache.get(str(code).upper())
    return market.locale if market is not None else SOURCE_LOCALE


def _error_response(
    request: Request, status: int, code: str, message: str, **extra: Any
) -> Response:
    if _wants_html(request) and status == 401:
        return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
    if _wants_html(request):
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": status,
                "message": message,
                "page": None,
                "locale": _error_locale(request),
                "user": None,
                "market": None,
                "markets": [],
                "csrf_token": "",
                "flash": None,
            },
            status_code=status,
        )
    return JSONResponse(_error_body(code, message, **extra), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        response = _error_response(request, exc.status_code, exc.code, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _unreadable_json(exc):  # like any other bad body: 422, in plain words
            return _error_response(
                request, 422, "invalid_input", "The request body is not valid UTF-8 JSON."
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
        response = _error_response(request, exc.status_code, code, message)
        response.headers.update(exc.headers or {})  # a 405 says which methods are: Allow
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if ids.names_nothing(exc.errors()):  # /p/0, /p/99999999999999999999: no such thing
            return _error_response(request, 404, "not_found", "There is nothing at this address.")
        return _error_response(
            request,
            422,
            "invalid_input",
            _describe_validation(exc),
            details=[{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()],
        )


def _register_handlers(
    registry: HandlerRegistry, databases: Databases, gateway: PaymentGateway
) -> None:
    payment_handlers.register(registry, databases, gateway)
    catalog_handlers.register(registry, databases)
    content_handlers.register(registry, databases)
    live_handlers.register(registry, databases)
    affiliate_handlers.register(registry, databases)


def create_app(
    settings: Settings | None = None, *, gateway: PaymentGateway | None = None
) -> FastAPI:
    settings = settings or Settings()
    settings.require_secret_key()  # before anything: a clear refusal, not a forgeable app
    logs.configure(json=settings.log_json)
    databases = Databases(settings)
    registry = HandlerRegistry()
    gateway = gateway or sandbox_gateway(settings)
    feed = FeedEngine(open_features(settings.feed_redis_url, settings.feed_redis_prefix))
    hub = Hub(
        make_broker(settings.live_redis_url, settings.live_redis_prefix),
        record_peak=functools.partial(live_flows.record_peak, databases),
        # the app's engine at each tick (tests may swap it)
        on_totals=lambda totals: app.state.feed_engine.catalog.set_viewers(totals),
    )
    _register_handlers(registry, databases, gateway)
    dispatcher = Dispatcher(databases, registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from shoptide import background

        tasks = []
        if settings.embedded_dispatcher:
            tasks.append(asyncio.create_task(background.run_embedded(app)))
        await feed_serving.warm_up(
            databases, feed, at=time.time(), replay=isinstance(feed.features, MemoryFeatures)
        )
        tasks += [
            asyncio.create_task(
                feed_serving.refresh_forever(databases, feed, settings.feed_refresh_seconds)
            ),
            asyncio.create_task(
                feed_training.retrain_forever(databases, feed, settings.feed_retrain_hours)
            ),
        ]
        await hub.start()
        yield
        for task in tasks:
            task.cancel()
        await hub.stop()  # closes the live sockets and writes their rooms' peaks
        await feed.features.close()
        await app.state.sign_in_throttle.close()
        await databases.dispose()

    app = FastAPI(
        title="Shoptide",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_invalid_text)],  # NUL, lone surrogates: 422, not 500
        description="Content-commerce platform API. Authenticate with "
        "`Authorization: Bearer <token>` from POST /api/v1/auth/token.",
    )
    app.state.settings = settings
    app.state.databases = databases
    app.state.gateway = gateway
    app.state.registry = registry
    app.state.dispatcher = dispatcher
    app.state.live_hub = hub
    app.state.feed_engine = feed
    feed_handlers.register(registry, databases, lambda: app.state.feed_engine)
    app.state.passwords = Passwords(settings)
    app.state.sign_in_throttle = SignInThrottle.from_settings(settings)
    app.state.on_shopper_sign_in = (creators_flows.apply_visit,)
    app.state.market_cache = TTLCache(maxsize=64, ttl=MARKET_CACHE_SECONDS)

    _install_error_handlers(app)
    # inside the session middleware (it reads the cookie), before any upload body is read
    app.add_middleware(SignedInUploads, paths=VIDEO_UPLOAD_PATHS)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="shoptide",
        same_site="lax",
        https_only=settings.cookie_secure,
        max_age=14 * 24 * 3600,
    )
    app.add_middleware(logs.RequestIdMiddleware)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger=dict.fromkeys(VIDEO_UPLOAD_PATHS, settings.max_video_bytes),
    )
    app.add_middleware(SecurityHeaders, live_hls_url=settings.live_hls_url)  # every answer

    templates.env.globals["STATUS_LABELS"] = STATUS_LABELS  # order pages name statuses
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")
    content_media.register_types()  # HLS playlists and segments under /media
    app.mount(MEDIA_PATH, StaticFiles(directory=settings.media_dir), name="media")
    _include_routers(app)
    web_openapi.install(app)  # each route's error answers, with the error body
    _mount_admin(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from shoptide import api, pages
    from shoptide.live import media_api
    from shoptide.live import ws as live_ws

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(media_api.hooks_router)
    app.include_router(live_ws.public_router)


def _mount_admin(app: FastAPI) -> None:
    from shoptide.admin import mount_admin

    mount_admin(app)
