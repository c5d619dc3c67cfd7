"""Security headers on every answer: a Content-Security-Policy, no framing (Seller Center,
the console and every page with a form must not be framable, against clickjacking), no
content sniffing and a referrer that leaves the site as an origin only.

The site's pages run scripts from /static only (their small behaviours are data- attributes
read by /static/shoptide.js), so an injected <script> or on...= attribute would not run.
The operations console (sqladmin) and the API docs (Swagger UI and ReDoc from a CDN) come
with inline scripts of their own: they get a policy of their own."""

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = ("/docs", "/redoc")
CONSOLE_PATH = "/admin"
DOCS_CDN = "https://cdn.jsdelivr.net"


def _origin(url: str) -> str:
    """The origin of an absolute URL ("" for a path on this site: 'self' covers it)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _policy(*directives: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            *directives,
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def site_policy(live_hls_url: str) -> str:
    """Live video comes from the media server (its own origin, unless proxied here): hls.js
    fetches the playlists (connect-src) and plays them through a blob: (media-src)."""
    hls = _origin(live_hls_url)
    media = " ".join(filter(None, ["'self'", "blob:", hls]))
    fetches = " ".join(filter(None, ["'self'", hls]))
    return _policy(
        "script-src 'self'",
        # style attributes in the templates, and the <style> htmx adds for its indicators
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        f"media-src {media}",
        f"connect-src {fetches}",
        "worker-src 'self' blob:",  # hls.js demuxes in a worker it makes from a blob
    )


CONSOLE_POLICY = _policy(
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
)
DOCS_POLICY = _policy(
    f"script-src 'self' 'unsafe-inline' {DOCS_CDN}",
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "font-src 'self' https://fonts.gstatic.com",
    "worker-src 'self' blob:",
)


class SecurityHeaders:
    """Adds the headers to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp, *, live_hls_url: str) -> None:
        self.app = app
        self.site_policy = site_policy(live_hls_url)

    def policy_for(self, path: str) -> str:
        if path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/"):
            return CONSOLE_POLICY
        if path.startswith(DOCS_PATHS):
            return DOCS_POLICY
        return self.site_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Frame-Options", "DENY")  # browsers before frame-ancestors
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
