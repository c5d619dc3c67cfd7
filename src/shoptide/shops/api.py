from fastapi import APIRouter, Request, status

from shoptide.deps import CurrentSeat, CurrentUser, GlobalRead, GlobalWrite
from shoptide.shops import service
from shoptide.shops.schemas import MemberRead, ShopRead, StaffCreate

router = APIRouter(prefix="/seller", tags=["seller: shop"])


@router.get("/shops", response_model=list[ShopRead])
async def my_shops(user: CurrentUser, session: GlobalRead) -> list[ShopRead]:
    """Shops you can act for; send X-Shop-Id to choose one (default: the first)."""
    return [
        ShopRead(
            id=s.id,
            name=s.name,
            slug=s.slug,
            home_market=s.home_market,
            is_brand=s.is_brand,
            my_role=role,
        )
        for s, role in await service.memberships(session, user_id=user.user_id)
    ]


@router.get("/staff", response_model=list[MemberRead])
async def list_staff(seat: CurrentSeat, session: GlobalRead) -> list[MemberRead]:
    return [
        MemberRead(user_id=u.id, email=u.email, display_name=u.display_name, role=role)
        for u, role in await service.list_members(session, shop_id=seat.shop.id)
    ]


@router.post("/staff", response_model=MemberRead, status_code=status.HTTP_201_CREATED)
async def add_staff(
    body: StaffCreate, request: Request, seat: CurrentSeat, session: GlobalWrite
) -> MemberRead:
    """Owners only: create a merchant account for a colleague in this shop."""
    user = await service.add_staff_account(
        session,
        shop_id=seat.shop.id,
        acting_role=seat.role,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        role=body.role,
        passwords=request.app.state.passwords,
    )
    return MemberRead(
        user_id=user.id, email=user.email, display_name=user.display_name, role=body.role
    )
