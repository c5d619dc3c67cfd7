from typing import Any

from fastapi import APIRouter, Request, Response, status

from shoptide.accounts import flows, service
from shoptide.accounts.schemas import (
    AddressIn,
    AddressRead,
    ApiTokenRead,
    ShopperCreate,
    TokenRead,
    TokenRequest,
    UserRead,
)
from shoptide.accounts.throttle import address_of
from shoptide.deps import (
    CellRead,
    CellWrite,
    CurrentShopper,
    CurrentUser,
    DatabasesDep,
)
from shoptide.ids import Id

public_router = APIRouter(tags=["accounts"])
router = APIRouter(tags=["accounts"])


SIGNED_IN_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token, or it expired or was revoked"}
}


def _token_read(token: str, request: Request) -> TokenRead:
    lifetime = request.app.state.settings.api_token_lifetime
    return TokenRead(token=token, expires_in=int(lifetime.total_seconds()))


@public_router.post(
    "/auth/token",
    response_model=TokenRead,
    responses={
        401: {"description": "Email or password is wrong"},
        404: {"description": "No such market"},
        429: {
            "description": "Too many failed sign-ins for this account or from this address; "
            "the Retry-After header says how many seconds to wait"
        },
    },
)
async def issue_token(body: TokenRequest, request: Request, databases: DatabasesDep) -> TokenRead:
    """Exchange email and password for a bearer token (it expires; `expires_in` says when).
    Shoppers name their market; merchants, creators and operators leave it out."""
    throttle = request.app.state.sign_in_throttle
    async with throttle.attempt(email=body.email, address=address_of(request)):
        token = await flows.issue_token(
            databases,
            email=body.email,
            password=body.password,
            market=body.market,
            passwords=request.app.state.passwords,
        )
    return _token_read(token, request)


@public_router.post(
    "/auth/register",
    response_model=TokenRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "No such market"},
        409: {"description": "An account with this email exists already"},
    },
)
async def register(body: ShopperCreate, request: Request, databases: DatabasesDep) -> TokenRead:
    """Create a shopper account in a market; returns a token for it."""
    token = await flows.register_shopper(
        databases,
        market=body.market,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        passwords=request.app.state.passwords,
    )
    return _token_read(token, request)


@router.get("/auth/tokens", response_model=list[ApiTokenRead], responses=SIGNED_IN_ONLY)
async def list_tokens(user: CurrentUser, databases: DatabasesDep) -> list[ApiTokenRead]:
    """Your API tokens that still work, newest first (the tokens themselves are never
    shown again: only their hashes are kept)."""
    tokens = await flows.list_tokens(databases, user)
    return [
        ApiTokenRead(
            id=t.id, created_at=t.created_at, expires_at=t.expires_at, current=t.id == user.token_id
        )
        for t in tokens
    ]


@router.delete(
    "/auth/token",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=SIGNED_IN_ONLY,
)
async def sign_out(user: CurrentUser, databases: DatabasesDep) -> None:
    """Sign out: the bearer token this request is made with stops working."""
    await flows.revoke_token(databases, user, user.token_id)


@router.delete(
    "/auth/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=SIGNED_IN_ONLY | {404: {"description": "You have no token with this id"}},
)
async def revoke_token(token_id: Id, user: CurrentUser, databases: DatabasesDep) -> None:
    """Revoke one of your API tokens (from GET /auth/tokens): it stops working at once."""
    await flows.revoke_token(databases, user, token_id)


@router.get("/me", response_model=UserRead)
async def me(user: CurrentUser) -> UserRead:
    return UserRead(
        id=user.user_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        market=user.market_code,
    )


@router.get("/addresses", response_model=list[AddressRead])
async def list_addresses(user: CurrentShopper, session: CellRead) -> list[AddressRead]:
    rows = await service.list_addresses(session, user_id=user.user_id)
    return [AddressRead.model_validate(a) for a in rows]


@router.post("/addresses", response_model=AddressRead, status_code=status.HTTP_201_CREATED)
async def add_address(body: AddressIn, user: CurrentShopper, session: CellWrite) -> AddressRead:
    address = await service.add_address(
        session, user_id=user.user_id, country_code=user.market_code or "", **body.model_dump()
    )
    return AddressRead.model_validate(address)
