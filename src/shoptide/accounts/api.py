from fastapi import APIRouter, Request, status

from shoptide.accounts import service
from shoptide.accounts.schemas import (
    AddressRead,
    ShopperCreate,
    TokenRead,
    TokenRequest,
    UserRead,
)
from shoptide.checkout.schemas import AddressIn
from shoptide.deps import (
    CellRead,
    CellWrite,
    CurrentShopper,
    CurrentUser,
    DatabasesDep,
    GlobalRead,
    SettingsDep,
)
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

public_router = APIRouter(tags=["accounts"])
router = APIRouter(tags=["accounts"])


@public_router.post("/auth/token", response_model=TokenRead)
async def issue_token(
    body: TokenRequest,
    request: Request,
    databases: DatabasesDep,
    settings: SettingsDep,
    global_: GlobalRead,
) -> TokenRead:
    """Exchange email and password for a bearer token."""
    roles: tuple[str, ...]
    if body.market:
        market = await markets_service.get(global_, body.market)
        cell, roles = settings.cell_of_market(market.code), ("shopper",)
    else:
        cell, roles = GLOBAL_CELL, ("merchant", "operator")
    async with databases.session(cell) as session:
        user = await service.authenticate(
            session,
            email=body.email,
            password=body.password,
            passwords=request.app.state.passwords,
            roles=roles,
        )
        return TokenRead(token=await service.issue_token(session, user=user, cell=cell))


@public_router.post("/auth/register", response_model=TokenRead, status_code=status.HTTP_201_CREATED)
async def register(
    body: ShopperCreate,
    request: Request,
    databases: DatabasesDep,
    settings: SettingsDep,
    global_: GlobalRead,
) -> TokenRead:
    """Create a shopper account in a market; returns a token for it."""
    market = await markets_service.get(global_, body.market)
    cell = settings.cell_of_market(market.code)
    async with databases.session(cell) as session:
        user = await service.create(
            session,
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            role="shopper",
            market_code=market.code,
            passwords=request.app.state.passwords,
        )
        return TokenRead(token=await service.issue_token(session, user=user, cell=cell))


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
