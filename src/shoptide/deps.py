"""Request dependencies shared by every domain: sessions per cell, market, who is signed in.

Sessions are opened at the edge and committed once, before the response is sent
(scope="function"). Routes never commit.
"""

import hmac
import secrets
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

from cachetools import TTLCache
from fastapi import Depends, Form, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Principal, principal_of
from shoptide.db import Databases
from shoptide.errors import NotAllowed, NotSignedIn
from shoptide.ids import Id
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.markets.schemas import MarketCode
from shoptide.payments.gateway import PaymentGateway
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops import service as shops_service
from shoptide.shops.models import Shop

DEFAULT_MARKET = "US"


# Dependencies are async: FastAPI runs plain `def` ones in a thread pool, a hop per request.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_databases(request: Request) -> Databases:
    return request.app.state.databases


async def get_gateway(request: Request) -> PaymentGateway:
    return request.app.state.gateway


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabasesDep = Annotated[Databases, Depends(get_databases)]
GatewayDep = Annotated[PaymentGateway, Depends(get_gateway)]


async def unit_of_work(request: Request, cell: str, *, write: bool) -> AsyncIterator[AsyncSession]:
    """A request's session for a cell, committed after the route; a write wakes the outbox
    dispatcher so its events go out at once."""
    async with request.app.state.databases.session(cell, write=write) as session:
        yield session
    if write:
        request.app.state.dispatcher.nudge()


async def global_reader(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in unit_of_work(request, GLOBAL_CELL, write=False):
        yield session


async def global_writer(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in unit_of_work(request, GLOBAL_CELL, write=True):
        yield session


GlobalRead = Annotated[AsyncSession, Depends(global_reader, scope="function")]
GlobalWrite = Annotated[AsyncSession, Depends(global_writer, scope="function")]


# --- who is asking ----------------------------------------------------------------------


async def bearer_principal(databases: Databases, token: str) -> Principal:
    """The account of an API token that has neither expired nor been revoked (401 if it
    has): one indexed lookup in the cell the token names."""
    cell = accounts_service.cell_of_token(token)
    if cell not in databases.all_cells:
        raise NotSignedIn(accounts_service.TOKEN_UNKNOWN)
    async with databases.session(cell, write=False) as session:
        return await accounts_service.principal_for_token(session, token, cell=cell)


# Documents the scheme in OpenAPI; a missing or non-bearer header gives None, not an error.
bearer_scheme = HTTPBearer(
    auto_error=False, description="A token from POST /api/v1/auth/token", bearerFormat="opaque"
)


async def optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """Bearer token for /api, the signed session cookie for pages."""
    databases: Databases = request.app.state.databases
    if request.url.path.startswith("/api/"):
        if credentials is None:
            return None
        return await bearer_principal(databases, credentials.credentials)
    return await cookie_principal(databases, request.session)


async def cookie_principal(
    databases: Databases, session: MutableMapping[str, Any]
) -> Principal | None:
    """The account of the signed session cookie (web.sessions.sign_in wrote it) while its
    session lasts: signing out or changing the password ends it everywhere, and the cookie
    is emptied."""
    user_id, cell = session.get("uid"), session.get("cell", "")
    if not user_id or cell not in databases.all_cells:
        return None
    try:
        async with databases.session(cell, write=False) as db:
            user = await accounts_service.get_signed_in(
                db, user_id, session_version=session.get("sv", -1)
            )
            return principal_of(user, cell)
    except NotSignedIn:
        session.clear()
        return None


OptionalUser = Annotated[Principal | None, Depends(optional_user)]

# For public routes that read the bearer token when there is one (a shopper's own market):
# FastAPI appends this to the operation's security list, making the token optional.
OPTIONAL_BEARER: dict[str, Any] = {"security": [{}]}


async def current_user(user: OptionalUser) -> Principal:
    if user is None:
        raise NotSignedIn("Please sign in first.")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


async def current_shopper(user: CurrentUser) -> Principal:
    if user.role != "shopper":
        raise NotAllowed("This needs a shopper account.")
    return user


CurrentShopper = Annotated[Principal, Depends(current_shopper)]


# --- market and cell --------------------------------------------------------------------


async def current_market(
    request: Request,
    user: OptionalUser,
    x_market: Annotated[
        MarketCode | None, Header(description="Two-letter market code, e.g. ID")
    ] = None,
) -> Market:
    """A signed-in shopper shops in their own market; others pick one.

    Markets are reference data read on every request: kept a few seconds per process (an
    operator's change shows within app.MARKET_CACHE_SECONDS), read in a session of its own."""
    if user is not None and user.market_code:
        code = user.market_code
    elif request.url.path.startswith("/api/"):
        code = request.query_params.get("market") or x_market or DEFAULT_MARKET
    else:
        code = request.session.get("market") or DEFAULT_MARKET
    cache: TTLCache[str, Market] = request.app.state.market_cache
    key = code.upper()
    if key not in cache:
        async with request.app.state.databases.session(GLOBAL_CELL, write=False) as session:
            cache[key] = await markets_service.requested(session, key)
    return cache[key]


CurrentMarket = Annotated[Market, Depends(current_market)]


async def current_cell(market: CurrentMarket, settings: SettingsDep) -> str:
    return settings.cell_of_market(market.code)


CurrentCell = Annotated[str, Depends(current_cell)]


# Every request that holds connections of two pools takes the global one first. With one
# order for all, no request can hold a cell connection while waiting for a global one that
# another request holds while waiting for a cell connection (a deadlock across pools).
# A request's global session is otherwise lazy: a route that only writes through its own
# short units of work never holds a second connection of the same pool.


async def cell_reader(
    request: Request, cell: CurrentCell, global_first: GlobalRead
) -> AsyncIterator[AsyncSession]:
    await global_first.connection()
    async for session in unit_of_work(request, cell, write=False):
        yield session


async def cell_writer(
    request: Request, cell: CurrentCell, global_first: GlobalRead
) -> AsyncIterator[AsyncSession]:
    await global_first.connection()
    async for session in unit_of_work(request, cell, write=True):
        yield session


CellRead = Annotated[AsyncSession, Depends(cell_reader, scope="function")]
CellWrite = Annotated[AsyncSession, Depends(cell_writer, scope="function")]


# --- merchants --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """The shop a merchant is acting for, and their role in it."""

    shop: Shop
    role: str
    user: Principal


async def current_seat(
    request: Request,
    user: CurrentUser,
    databases: DatabasesDep,
    x_shop_id: Annotated[Id | None, Header(description="Shop to act for")] = None,
) -> Seat:
    """Read in a short session of its own: context dependencies hold no connection for the
    request, so a route that opens its own units of work never waits on itself."""
    if user.role != "merchant":
        raise NotAllowed("Seller Center is for merchant accounts.")
    async with databases.session(GLOBAL_CELL, write=False) as session:
        seats = await shops_service.memberships(session, user_id=user.user_id)
    if not seats:
        raise NotAllowed("Your account is not a member of any shop yet.")
    if not request.url.path.startswith("/api/"):
        # pages remember the chosen shop; a stale choice falls back to the first shop
        wanted = request.session.get("shop_id")
        shop, role = next(((s, r) for s, r in seats if s.id == wanted), seats[0])
        return Seat(shop, role, user)
    for shop, role in seats:
        if x_shop_id is None or shop.id == x_shop_id:
            return Seat(shop, role, user)
    raise NotAllowed("You are not a member of that shop.")


CurrentSeat = Annotated[Seat, Depends(current_seat)]


# --- CSRF for cookie-authenticated forms -------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, token: str) -> None:
    """Synchronizer token: the post must echo the token kept in the signed session (a
    form's field, or for a page's JSON posts a header or the body of a beacon)."""
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected, token):
        raise NotAllowed("This form has expired. Go back, reload the page and try again.")


async def verify_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    check_csrf(request, csrf_token)


CsrfChecked = Depends(verify_csrf)
