from fastapi import APIRouter, Request, status

from shoptide.accounts import flows, service
from shoptide.accounts.schemas import (
    AddressIn,
    AddressRead,
    ShopperCreate,
    TokenRead,
    TokenRequest,
    UserRead,
)
from shoptide.deps import (
    CellRead,
    CellWrite,
    CurrentShopper,
    CurrentUser,
    DatabasesDep,
)

public_router = APIRouter(tags=["accounts"])
router = APIRouter(tags=["accounts"])


@public_router.post("/auth/token", response_model=TokenRead)
async def issue_token(body: TokenRequest, request: Request, databases: DatabasesDep) -> TokenRead:
    """Exchange email and password for a bearer token."""
    token = await flows.issue_token(
        databases,
        email=body.email,
        password=body.password,
        market=body.market,
        passwords=request.app.state.passwords,
    )
    return TokenRead(token=token)


@public_router.post("/auth/register", response_model=TokenRead, status_code=status.HTTP_201_CREATED)
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
    return TokenRead(token=token)


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
