import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import User
from shoptide.accounts.service import Passwords
from shoptide.db import flush_unique
from shoptide.errors import InvalidInput, NotAllowed, NotFound
from shoptide.shops.models import MEMBER_ROLES, Shop, ShopMember


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "shop"


async def create(
    session: AsyncSession, *, name: str, home_market: str, owner_id: int, is_brand: bool = False
) -> Shop:
    if not (name := name.strip()):
        raise InvalidInput("Give the shop a name: it can't be empty or only spaces.")
    shop = Shop(name=name, slug=slugify(name), home_market=home_market, is_brand=is_brand)
    await flush_unique(session, f"A shop called {name!r} already exists.", shop)
    session.add(ShopMember(shop_id=shop.id, user_id=owner_id, role="owner"))
    await session.flush()
    return shop


async def get(session: AsyncSession, shop_id: int) -> Shop:
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Shop not found.")
    return shop


async def owners(session: AsyncSession, shop_ids: Iterable[int]) -> dict[int, int]:
    """Each shop's owner (its first owner, where it has several), by shop id, in one query."""
    ids = set(shop_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ShopMember.shop_id, ShopMember.user_id)
        .where(ShopMember.shop_id.in_(ids), ShopMember.role == "owner")
        .order_by(ShopMember.shop_id, ShopMember.id)
    )
    found: dict[int, int] = {}
    for shop_id, user_id in rows:
        found.setdefault(shop_id, user_id)
    return found


async def memberships(session: AsyncSession, *, user_id: int) -> Sequence[tuple[Shop, str]]:
    rows = await session.execute(
        select(Shop, ShopMember.role)
        .join(ShopMember, ShopMember.shop_id == Shop.id)
        .where(ShopMember.user_id == user_id)
        .order_by(Shop.name)
    )
    return [(shop, role) for shop, role in rows]


async def membership(session: AsyncSession, *, user_id: int, shop_id: int) -> ShopMember:
    member = await session.scalar(
        select(ShopMember).where(ShopMember.user_id == user_id, ShopMember.shop_id == shop_id)
    )
    if member is None:
        raise NotAllowed("You are not a member of this shop.")
    return member


async def shop_of_member(session: AsyncSession, *, user_id: int, shop_id: int) -> Shop:
    """The shop, if the user is one of its members (NotAllowed otherwise)."""
    await membership(session, user_id=user_id, shop_id=shop_id)
    return await get(session, shop_id)


async def list_members(session: AsyncSession, *, shop_id: int) -> Sequence[tuple[User, str]]:
    rows = await session.execute(
        select(User, ShopMember.role)
        .join(ShopMember, ShopMember.user_id == User.id)
        .where(ShopMember.shop_id == shop_id)
        .order_by(ShopMember.role.desc(), User.email)
    )
    return [(user, role) for user, role in rows]


async def add_member(
    session: AsyncSession, *, shop_id: int, acting_role: str, user_id: int, role: str
) -> ShopMember:
    if acting_role != "owner":
        raise NotAllowed("Only a shop owner can add staff.")
    if role not in MEMBER_ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(MEMBER_ROLES)}.")
    member = ShopMember(shop_id=shop_id, user_id=user_id, role=role)
    await flush_unique(session, "That person is already a member of this shop.", member)
    return member


async def add_staff_account(
    session: AsyncSession,
    *,
    shop_id: int,
    acting_role: str,
    email: str,
    display_name: str,
    password: str,
    role: str,
    passwords: Passwords,
) -> User:
    """Create a merchant account for a new colleague and seat them in the shop."""
    if acting_role != "owner":
        raise NotAllowed("Only a shop owner can add staff.")
    user = await accounts_service.create(
        session,
        email=email,
        password=password,
        display_name=display_name,
        role="merchant",
        passwords=passwords,
    )
    await add_member(session, shop_id=shop_id, acting_role=acting_role, user_id=user.id, role=role)
    return user
