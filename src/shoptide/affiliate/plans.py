"""What merchants offer creators (global cell): open plans, invitations (targeted plans)
and the free samples an invitation may come with.

Rates are basis points (1250 = 12.5%). Product titles and shop names are read by id in one
query each, so a list costs the same number of queries whatever its length.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import creators
from shoptide.affiliate.models import (
    MAX_RATE_BP,
    MIN_RATE_BP,
    SHOP_WIDE,
    Creator,
    Invitation,
    InvitationProduct,
    OpenPlan,
    SampleRequest,
)
from shoptide.catalog.models import Product
from shoptide.db import rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from shoptide.shops.models import Shop

RATE_RANGE = "Commission rates run from 1% to 80%."
MAX_INVITATION_DAYS = 365
MAX_MESSAGE = 500


# --- rates ------------------------------------------------------------------------------------


def check_rate(rate_bp: int) -> int:
    if not MIN_RATE_BP <= rate_bp <= MAX_RATE_BP:
        raise InvalidInput(RATE_RANGE)
    return rate_bp


def parse_rate_percent(text: str | Decimal) -> int:
    """A percentage as a person types it ("12.5", "12.5%") in basis points (1250)."""
    try:
        value = Decimal(str(text).strip().removesuffix("%").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput("Enter the commission rate as a percentage, like 12.5.")
    rate_bp = value * 100
    if rate_bp != rate_bp.to_integral_value():
        raise InvalidInput("Commission rates have at most two decimals, like 12.25%.")
    return check_rate(int(rate_bp))


def rate_percent(rate_bp: int) -> Decimal:
    """1250 -> Decimal("12.5"): the rate as the API writes it."""
    return Decimal(rate_bp) / 100


def format_rate(rate_bp: int) -> str:
    """1250 -> "12.5%": the rate as pages show it."""
    return f"{rate_percent(rate_bp)}%"


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


def _expired_message(invitation: Invitation) -> str:
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


async def view_of(
    global_: AsyncSession, invitation: Invitation, *, now: datetime | None = None
) -> InvitationView:
    """One invitation as lists show it (after a change, say)."""
    return (await _views(global_, Invitation.id == invitation.id, now))[0]


async def _invitation(
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
    invitation = await _invitation(global_, invitation_id, shop_id=shop_id)
    status = status_of(invitation, now)
    if status not in ("invited", "accepted"):
        raise InvalidTransition(f"This invitation is {status} already; there is nothing to end.")
    return await _move_invitation(global_, invitation, to="withdrawn", when=now)


async def _respond(
    global_: AsyncSession, *, creator_id: int, invitation_id: int, to: str, now: datetime | None
) -> Invitation:
    now = now or utcnow()
    invitation = await _invitation(global_, invitation_id, creator_id=creator_id)
    status = status_of(invitation, now)
    if status == to:
        return invitation  # a second click changes nothing
    if status == "expired":
        raise InvalidInput(_expired_message(invitation))
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


# --- samples ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleView:
    sample: SampleRequest
    product_title: str
    shop_name: str
    creator: Creator


@dataclass(frozen=True)
class SampleChoice:
    """A product a creator may ask a free sample of, and whether they already have."""

    invitation_id: int
    shop_name: str
    product_id: int
    title: str
    requested: bool


async def request_sample(
    global_: AsyncSession,
    *,
    creator_id: int,
    invitation_id: int,
    product_id: int,
    ship_to: str,
    note: str = "",
    now: datetime | None = None,
) -> SampleRequest:
    """Ask for a free sample of a product of an accepted invitation that offers samples."""
    now = now or utcnow()
    invitation = await _invitation(global_, invitation_id, creator_id=creator_id)
    status = status_of(invitation, now)
    if status == "expired":
        raise InvalidInput(_expired_message(invitation))
    if status != "accepted":
        raise InvalidInput("Accept the invitation before asking for samples.")
    if not invitation.samples_offered:
        raise InvalidInput("This invitation doesn't offer free samples.")
    if product_id not in {p.product_id for p in invitation.products}:
        raise NotFound(f"Product {product_id} is not part of this invitation.")
    ship_to, note = ship_to.strip(), note.strip()
    if not ship_to:
        raise InvalidInput("Write the address the sample should be sent to.")
    if len(ship_to) > 400 or len(note) > 300:
        raise InvalidInput("Keep the address under 400 characters and the note under 300.")
    sample = SampleRequest(
        invitation_id=invitation.id,
        shop_id=invitation.shop_id,
        creator_id=creator_id,
        product_id=product_id,
        ship_to=ship_to,
        note=note,
    )
    global_.add(sample)
    try:
        async with global_.begin_nested():
            await global_.flush()
    except IntegrityError:  # unique (invitation, product): one sample each
        raise Conflict("You have already asked for a sample of this product.") from None
    return sample


async def _sample_views(global_: AsyncSession, where: ColumnElement[bool]) -> list[SampleView]:
    found = list(
        await global_.scalars(select(SampleRequest).where(where).order_by(SampleRequest.id.desc()))
    )
    titles = await product_titles(global_, (s.product_id for s in found))
    shops = await shop_names(global_, (s.shop_id for s in found))
    who = await creators.by_ids(global_, (s.creator_id for s in found))
    return [
        SampleView(s, titles.get(s.product_id, ""), shops.get(s.shop_id, ""), who[s.creator_id])
        for s in found
    ]


async def sample_view_of(global_: AsyncSession, sample: SampleRequest) -> SampleView:
    return (await _sample_views(global_, SampleRequest.id == sample.id))[0]


async def shop_samples(global_: AsyncSession, *, shop_id: int) -> list[SampleView]:
    return await _sample_views(global_, SampleRequest.shop_id == shop_id)


async def creator_samples(global_: AsyncSession, *, creator_id: int) -> list[SampleView]:
    return await _sample_views(global_, SampleRequest.creator_id == creator_id)


def sample_choices(
    invitations: Iterable[InvitationView], samples: Iterable[SampleView]
) -> list[SampleChoice]:
    """The products of accepted, unexpired invitations that offer samples."""
    asked = {(s.sample.invitation_id, s.sample.product_id) for s in samples}
    return [
        SampleChoice(
            view.invitation.id, view.shop_name, pid, title, (view.invitation.id, pid) in asked
        )
        for view in invitations
        if view.status == "accepted" and view.invitation.samples_offered
        for pid, title in view.products
    ]


async def _shop_sample(global_: AsyncSession, sample_id: int, *, shop_id: int) -> SampleRequest:
    sample = await global_.get(SampleRequest, sample_id, populate_existing=True)
    if sample is None or sample.shop_id != shop_id:
        raise NotFound(f"There is no sample request {sample_id}.")
    return sample


async def _move_sample(
    global_: AsyncSession,
    sample: SampleRequest,
    *,
    frm: str,
    to: str,
    refusal: str,
    **values: Any,
) -> SampleRequest:
    """Check-and-set in SQL, so two clicks (or two staff) move a request once."""
    if sample.status != frm:
        raise InvalidTransition(refusal)
    moved = await rows_updated(
        global_,
        update(SampleRequest)
        .where(SampleRequest.id == sample.id, SampleRequest.status == frm)
        .values(status=to, **values),
    )
    if not moved:
        raise Conflict("This sample request just changed. Reload the page to see its status.")
    await global_.refresh(sample)
    return sample


async def decide_sample(
    global_: AsyncSession,
    *,
    shop_id: int,
    sample_id: int,
    approve: bool,
    now: datetime | None = None,
) -> SampleRequest:
    sample = await _shop_sample(global_, sample_id, shop_id=shop_id)
    return await _move_sample(
        global_,
        sample,
        frm="requested",
        to="approved" if approve else "rejected",
        refusal=f"This sample request was {sample.status} already.",
        decided_at=now or utcnow(),
    )


async def ship_sample(
    global_: AsyncSession, *, shop_id: int, sample_id: int, carrier: str, tracking_number: str
) -> SampleRequest:
    sample = await _shop_sample(global_, sample_id, shop_id=shop_id)
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not tracking_number:
        raise InvalidInput("Enter the tracking number so the creator can follow the parcel.")
    if len(carrier) > 60 or len(tracking_number) > 80:
        raise InvalidInput("Keep the carrier under 60 characters and the tracking number under 80.")
    return await _move_sample(
        global_,
        sample,
        frm="approved",
        to="shipped",
        refusal="Approve this sample request before shipping it."
        if sample.status == "requested"
        else f"This sample request was {sample.status}; it can't be shipped.",
        carrier=carrier,
        tracking_number=tracking_number,
    )
