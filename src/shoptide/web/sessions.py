"""The signed session cookie's sign-in: who is signed in ("uid", their "cell" and the
account's session version "sv", which deps.optional_user reads back). Shoppers' and
merchants' sign-in (accounts) and creators' sign-up (creators) start one the same way.

Signing out moves the account's session version on: a copy of the cookie made before is
signed out too, instead of lasting its 14 days.

What a shopper's visit left in their session before they signed in (a creator's link they
followed) is handed to the steps the app registers in `app.state.on_shopper_sign_in`: the
domains that keep such things stand above accounts, which signs shoppers in.

The operations console (/admin) keeps its sign-in in a cookie of its own, SameSite=Strict
(its actions are links: no other site may follow one with an operator's cookie), so that
an operator signing in there leaves the site's session as it was."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shoptide.accounts import flows as accounts_flows
from shoptide.db import Databases
from shoptide.settings import Settings

# (databases, what the visitor's session held, the shopper's user id, their cell)
ShopperSignedIn = Callable[[Databases, Mapping[str, Any], int, str], Awaitable[None]]

# a new account's session version (accounts.models.User.session_version's default)
NEW_ACCOUNT_SESSION_VERSION = 0


def sign_in(
    request: Request,
    user_id: int,
    cell: str,
    *,
    session_version: int = NEW_ACCOUNT_SESSION_VERSION,
) -> None:
    """Start a signed-in session: a fresh one (no fixation) that keeps the CSRF token and
    the market the visitor picked."""
    csrf = request.session.get("csrf")
    market = request.session.get("market")
    request.session.clear()  # a fresh session on sign-in (no fixation)
    request.session.update(
        {"uid": user_id, "cell": cell, "sv": session_version, "csrf": csrf, "market": market}
    )


async def sign_in_shopper(
    request: Request, user_id: int, cell: str, *, session_version: int = NEW_ACCOUNT_SESSION_VERSION
) -> None:
    """Sign a shopper in, then run the app's `on_shopper_sign_in` steps with their visit."""
    visit = dict(request.session)
    sign_in(request, user_id, cell, session_version=session_version)
    steps: tuple[ShopperSignedIn, ...] = getattr(request.app.state, "on_shopper_sign_in", ())
    for step in steps:
        await step(request.app.state.databases, visit, user_id, cell)


async def sign_out(request: Request) -> None:
    """End the session everywhere its cookie may be (this browser, a copy of it), keeping
    the market the visitor picked."""
    databases: Databases = request.app.state.databases
    user_id, cell, version = (request.session.get(key) for key in ("uid", "cell", "sv"))
    if isinstance(user_id, int) and isinstance(version, int) and cell in databases.all_cells:
        await accounts_flows.end_sessions(
            databases, str(cell), user_id=user_id, session_version=version
        )
    market = request.session.get("market")
    request.session.clear()
    if market:
        request.session["market"] = market


# --- the operations console's own sign-in --------------------------------------------------

CONSOLE_COOKIE = "shoptide_console"
CONSOLE_PATH = "/admin"
CONSOLE_MAX_AGE = 12 * 3600  # an operator's working day


def _console_signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="shoptide operations console")


def open_console(
    response: Response, settings: Settings, *, user_id: int, session_version: int
) -> None:
    """Sign an operator in to the console (the site's session stays as it was)."""
    response.set_cookie(
        CONSOLE_COOKIE,
        _console_signer(settings).dumps({"uid": user_id, "sv": session_version}),
        max_age=CONSOLE_MAX_AGE,
        path=CONSOLE_PATH,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def close_console(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        CONSOLE_COOKIE,
        path=CONSOLE_PATH,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def console_claim(request: Request, settings: Settings) -> tuple[int, int] | None:
    """(user id, session version) of the console's cookie when the app signed it and it is
    not too old; the caller checks the account is still an operator at that version."""
    cookie = request.cookies.get(CONSOLE_COOKIE)
    if not cookie:
        return None
    try:
        claim = _console_signer(settings).loads(cookie, max_age=CONSOLE_MAX_AGE)
    except BadSignature:  # forged, or expired (SignatureExpired is one)
        return None
    user_id, version = claim.get("uid"), claim.get("sv")
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    return user_id, version
