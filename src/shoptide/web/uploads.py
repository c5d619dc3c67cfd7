"""Large uploads only from someone signed in, decided before the body is read.

FastAPI reads a route's multipart body before its dependencies run, so `current_user` on
an upload route refused a visitor only once up to Settings.max_video_bytes had come in:
anyone could make the server take 200 MB at a time. On the upload paths this middleware
checks the bearer token (API) or the session cookie (pages) first and refuses a visitor
without reading a byte of the body. (app.BodySizeLimit, outside it, refuses a declared
Content-Length over the limit just as early.)"""

from collections.abc import Iterable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shoptide.deps import bearer_scheme, optional_user
from shoptide.errors import NotSignedIn

SIGN_IN_FIRST = "Please sign in first."


class SignedInUploads:
    """Refuses a POST to one of `paths` from a visitor before its body is read. Sits inside
    the session middleware, so the signed cookie is already read."""

    def __init__(self, app: ASGIApp, paths: Iterable[str]) -> None:
        self.app, self.paths = app, frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # no receive: nothing here may read the body
        if await _signed_in(request):
            await self.app(scope, receive, send)
            return
        await _refusal(request)(scope, receive, send)


async def _signed_in(request: Request) -> bool:
    try:
        return await optional_user(request, await bearer_scheme(request)) is not None
    except NotSignedIn:  # a token that is unknown, expired or revoked
        return False


def _refusal(request: Request) -> Response:
    """What the app's error handler answers a visitor: JSON 401 on the API, the sign-in page
    on pages."""
    if request.url.path.startswith("/api/"):
        body = {"error": {"code": NotSignedIn.code, "message": SIGN_IN_FIRST}}
        return JSONResponse(body, status_code=401)
    return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
