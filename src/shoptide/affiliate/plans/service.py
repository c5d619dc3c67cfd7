"""What merchants offer creators (global cell): open plans and invitations (targeted
plans), and which rate a creator earns on a product.

Rates are basis points (1250 = 12.5%, see affiliate.rates). Product titles and shop names
are read by id in one query each, so a list costs the same number of queries whatever its
length. The rate a creator earns is the best of: an accepted, unexpired invitation to this
creator that covers the product, the product's open plan, the shop's open plan; none when
the product pays no commission.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.plans.models import SHOP_WIDE, Invitation, InvitationProduct, OpenPlan
from shoptide.affiliate.rates import check_rate
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Product
from shoptide.creators import service as creators
from shoptide.creators.models import Creator
from shoptide.db import rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from shoptide.shops.models import Shop

MAX_INVITATION_DAYS = 365
MAX_MESSAGE = 500


# --- names of other domains' things, by id ----------------------------------------------------


async def shop_names(global_: AsyncSession, shop_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    rows = await global_.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids)))
    return {shop_id: name for shop_id, name in rows}


async def product_titles(global_: AsyncSession, product_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = await global_.execute(select(Product.id, Product.title).where(Product.id.in_(ids)))
    return {product_id: title for product_id, title in rows}


async def _check_own_products(
    global_: AsyncSession, *, shop_id: int, product_ids: Sequence[int]
) -> None:
    """Refuse a plan on a product that isn't the shop's (or doesn't exist) by name."""
    owned = set(
        await global_.scalars(
            select(Product.id).where(Product.id.in_(product_ids), Product.shop_id == shop_id)
        )
    )
    for product_id in product_ids:
        if product_id not in owned:
            raise NotFound(f"Product {product_id} is not one of your shop's products.")


# --- open plans -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRate:
    product_id: int  # SHOP_WIDE (0) for the rate on every product of the shop
    title: str  # the product's title; "" for the shop-wide rate
    rate_bp: int
    updated_at: datetime


async def list_open(global_: AsyncSession, *, shop_id: int) -> list[OpenRate]:
    """The shop's active rates: the shop-wide one first, then per product, newest first."""
    rows = await global_.execute(
        select(OpenPlan.product_id, Product.title, OpenPlan.rate_bp, OpenPlan.updated_at)
        .outerjoin(Product, Product.id == OpenPlan.product_id)
        .where(OpenPlan.shop_id == shop_id, OpenPlan.active.is_(True))
        .order_by(OpenPlan.product_id != SHOP_WIDE, OpenPlan.updated_at.desc(), OpenPlan.id)
    )
    return [OpenRate(pid, title or "", bp, at) for pid, title, bp, at in rows]


async def set_open_rate(
    global_: AsyncSession, *, shop_id: int, product_id: int = SHOP_WIDE, rate_bp: int
) -> OpenPlan:
    """Offer every creator `rate_bp` on one product of the shop, or on all of them."""
    check_rate(rate_bp)
    if product_id != SHOP_WIDE:
        await _check_own_products(global_, shop_id=shop_id, product_ids=[product_id])
    plan = await global_.scalar(
        select(OpenPlan).where(OpenPlan.shop_id == shop_id, OpenPlan.product_id == product_id)
    )
    if plan is None:
        plan = OpenPlan(shop_id=shop_id, product_id=product_id, rate_bp=rate_bp)
        global_.add(plan)
        try:
            async with global_.begin_nested():
                await global_.flush()
        except IntegrityError:  # the unique (shop, product) decides a race between two tabs
            raise Conflict("This rate was just changed elsewhere. Reload and try again.") from None
    plan.rate_bp, plan.active = rate_bp, True
    await global_.flush()
    return plan


async def end_open_rate(
    global_: AsyncSession, *, shop_id: int, product_id: int = SHOP_WIDE
) -> None:
    ended = await rows_updated(
        global_,
        update(OpenPlan)
        .where(
            OpenPlan.shop_id == shop_id,
            OpenPlan.product_id == product_id,
            OpenPlan.active.is_(True),
        )
        .values(active=False, updated_at=utcnow()),
    )
    if not ended:
        what = "the shop" if product_id == SHOP_WIDE else f"product {product_id}"
        raise NotFound(f"There is no open commission rate on {what} to end.")


@dataclass(frozen=True)
class PlanOverview:
    """Seller Center's open plan page: the shop-wide rate, the products' own, the products."""

    shop_rate: OpenRate | None
    product_rates: list[OpenRate]
    products: Sequence[Product]


async def overview(global_: AsyncSession, *, shop_id: int) -> PlanOverview:
    rates = await list_open(global_, shop_id=shop_id)
    return PlanOverview(
        shop_rate=next((r for r in rates if r.product_id == SHOP_WIDE), None),
        product_rates=[r for r in rates if r.product_id != SHOP_WIDE],
        products=await catalog_service.list_for_shop(global_, shop_id=shop_id),
    )


# --- invitations ------------------------------------------------------------------------------


def status_of(invitation: Invitation, now: datetime) -> str:
    """The status a person sees: an open or accepted invitation past its date is expired."""
    if invitation.status in ("invited", "accepted") and invitation.expires_at <= now:
        return "expired"
    return invitation.status


def end_of_day(day: date) -> datetime:
    """The last second of a day (UTC): an invitation "until 1 March" runs through that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def latest_expiry(now: datetime) -> date:
    """The last day an invitation made now may run to."""
    return (now + timedelta(days=MAX_INVITATION_DAYS)).date()


def expired_message(invitation: Invitation) -> str:
    return f"This invitation expired on {invitation.expires_at:%d %b %Y}."


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    status: str  # status_of(): "expired" once past expires_at
    creator: Creator
    shop_name: str
    products: list[tuple[int, str]]  # (product id, title), in the invitation's order


async def invite(
    global_: AsyncSession,
    *,
    shop_id: int,
    handle: str,
    rate_bp: int,
    product_ids: Sequence[int],
    expires_at: datetime,
    samples_offered: bool = False,
    message: str = "",
    now: datetime | None = None,
) -> Invitation:
    """Invite the creator behind `handle` to promote some of the shop's products at a rate
    of their own until `expires_at`."""
    now = now or utcnow()
    check_rate(rate_bp)
    creator = await creators.get_by_handle(global_, handle)
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        raise InvalidInput("Choose at least one product for the invitation.")
    await _check_own_products(global_, shop_id=shop_id, product_ids=wanted)
    if expires_at <= now:
        raise InvalidInput("Choose an expiry date in the future.")
    if expires_at > end_of_day(latest_expiry(now)):
        raise InvalidInput("An invitation can run for at most a year.")
    if len(message.strip()) > MAX_MESSAGE:
        raise InvalidInput(f"The message can be at most {MAX_MESSAGE} characters.")
    invitation = Invitation(
        shop_id=shop_id,
        creator_id=creator.id,
        rate_bp=rate_bp,
        expires_at=expires_at,
        samples_offered=samples_offered,
        message=message.strip(),
        products=[InvitationProduct(product_id=product_id) for product_id in wanted],
    )
    global_.add(invitation)
    await global_.flush()
    return invitation


async def _views(
    global_: AsyncSession, where: ColumnElement[bool], now: datetime | None
) -> list[InvitationView]:
    """Invitations and what they name, newest first, in a fixed number of queries."""
    now = now or utcnow()
    found = list(
        await global_.scalars(select(Invitation).where(where).order_by(Invitation.id.desc()))
    )
    who = await creators.by_ids(global_, (i.creator_id for i in found))
    shops = await shop_names(global_, (i.shop_id for i in found))
    titles = await product_titles(global_, (p.product_id for i in found for p in i.products))
    return [
        InvitationView(
            invitation=i,
            status=status_of(i, now),
            creator=who[i.creator_id],
            shop_name=shops.get(i.shop_id, ""),
            products=[(p.product_id, titles.get(p.product_id, "")) for p in i.products],
        )
        for i in found
    ]


async def shop_invitations(
    global_: AsyncSession, *, shop_id: int, now: datetime | None = None
) -> list[InvitationView]:
    return await _views(global_, Invitation.shop_id == shop_id, now)


async def creator_invitations(
    global_: AsyncSession, *, creator_id: int, now: datetime | None = None
) -> list[InvitationView]:
    return await _views(global_, Invitation.creator_id == creator_id, now)


@dataclass(frozen=True)
class ShopInvitations:
    """Seller Center's invitations page: the shop's invitations and the products to offer."""

    invitations: list[InvitationView]
    products: Sequence[Product]


async def shop_invitations_page(
    global_: AsyncSession, *, shop_id: int, now: datetime | None = None
) -> ShopInvitations:
    return ShopInvitations(
        invitations=await shop_invitations(global_, shop_id=shop_id, now=now),
        products=await catalog_service.list_for_shop(global_, shop_id=shop_id),
    )


async def view_of(
    global_: AsyncSession, invitation: Invitation, *, now: datetime | None = None
) -> InvitationView:
    """One invitation as lists show it (after a change, say)."""
    return (await _views(global_, Invitation.id == invitation.id, now))[0]


async def get_invitation(
    global_: AsyncSession,
    invitation_id: int,
    *,
    shop_id: int | None = None,
    creator_id: int | None = None,
) -> Invitation:
    """The invitation if it is the shop's (or the creator's); anyone else's is not found,
    so ids reveal nothing."""
    found = await global_.get(Invitation, invitation_id, populate_existing=True)
    if (
        found is None
        or shop_id not in (None, found.shop_id)
        or creator_id not in (None, found.creator_id)
    ):
        raise NotFound(f"There is no invitation {invitation_id}.")
    return found


async def _move_invitation(
    global_: AsyncSession, invitation: Invitation, *, to: str, when: datetime, **extra: Any
) -> Invitation:
    """Check-and-set in SQL: a creator accepting while the shop withdraws, one of them wins."""
    moved = await rows_updated(
        global_,
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.status.in_(("invited", "accepted") if to == "withdrawn" else ("invited",)),
            Invitation.expires_at > when,
        )
        .values(status=to, **extra),
    )
    if not moved:
        raise Conflict("This invitation just changed. Reload the page to see its status.")
    await global_.refresh(invitation)
    return invitation


async def withdraw(
    global_: AsyncSession, *, shop_id: int, invitation_id: int, now: datetime | None = None
) -> Invitation:
    now = now or utcnow()
    invitation = await get_invitation(global_, invitation_id, shop_id=shop_id)
    status = status_of(invitation, now)
    if status not in ("invited", "accepted"):
        raise InvalidTransition(f"This invitation is {status} already; there is nothing to end.")
    return await _move_invitation(global_, invitation, to="withdrawn", when=now)


async def _respond(
    global_: AsyncSession, *, creator_id: int, invitation_id: int, to: str, now: datetime | None
) -> Invitation:
    now = now or utcnow()
    invitation = await get_invitation(global_, invitation_id, creator_id=creator_id)
    status = status_of(invitation, now)
    if status == to:
        return invitation  # a second click changes nothing
    if status == "expired":
        raise InvalidInput(expired_message(invitation))
    if status != "invited":
        raise InvalidTransition(f"This invitation was {status} already.")
    return await _move_invitation(global_, invitation, to=to, when=now, responded_at=now)


async def accept(
    global_: AsyncSession, *, creator_id: int, invitation_id: int, now: datetime | None = None
) -> Invitation:
    """From now until it expires, the creator earns the invitation's rate on its products."""
    return await _respond(
        global_, creator_id=creator_id, invitation_id=invitation_id, to="accepted", now=now
    )


async def decline(
    global_: AsyncSession, *, creator_id: int, invitation_id: int, now: datetime | None = None
) -> Invitation:
    return await _respond(
        global_, creator_id=creator_id, invitation_id=invitation_id, to="declined", now=now
    )


# --- which rate a creator earns -----------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    rate_bp: int
    invitation_id: int | None = None  # the targeted plan it comes from, if any


async def open_rate(global_: AsyncSession, *, shop_id: int, product_id: int) -> int | None:
    """The open plan's rate on a product: its own, else the shop-wide one."""
    rows = await global_.execute(
        select(OpenPlan.product_id, OpenPlan.rate_bp).where(
            OpenPlan.shop_id == shop_id,
            OpenPlan.product_id.in_([product_id, SHOP_WIDE]),
            OpenPlan.active.is_(True),
        )
    )
    rates = {product: rate for product, rate in rows}
    return rates.get(product_id, rates.get(SHOP_WIDE))


async def rate_for(
    global_: AsyncSession,
    *,
    creator_id: int,
    shop_id: int,
    product_id: int,
    at: datetime | None = None,
) -> Rate | None:
    at = at or utcnow()
    targeted = await global_.execute(
        select(Invitation.id, Invitation.rate_bp)
        .join(InvitationProduct, InvitationProduct.invitation_id == Invitation.id)
        .where(
            Invitation.creator_id == creator_id,
            Invitation.shop_id == shop_id,
            Invitation.status == "accepted",
            Invitation.expires_at > at,
            InvitationProduct.product_id == product_id,
        )
        .order_by(Invitation.rate_bp.desc())
        .limit(1)
    )
    best_targeted = targeted.first()
    open_bp = await open_rate(global_, shop_id=shop_id, product_id=product_id)
    if best_targeted is not None and (open_bp is None or best_targeted.rate_bp >= open_bp):
        return Rate(best_targeted.rate_bp, best_targeted.id)
    return Rate(open_bp) if open_bp is not None else None
