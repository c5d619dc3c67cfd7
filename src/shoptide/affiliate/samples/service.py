"""Free samples (global cell): a creator asks for one under an accepted invitation that
offers samples; the shop approves, then ships it with a tracking number."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.creators import service as creators
from shoptide.creators.models import Creator
from shoptide.db import rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotFound


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


async def request(
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
    invitation = await plans.get_invitation(global_, invitation_id, creator_id=creator_id)
    status = plans.status_of(invitation, now)
    if status == "expired":
        raise InvalidInput(plans.expired_message(invitation))
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


async def _views(global_: AsyncSession, where: ColumnElement[bool]) -> list[SampleView]:
    found = list(
        await global_.scalars(select(SampleRequest).where(where).order_by(SampleRequest.id.desc()))
    )
    titles = await plans.product_titles(global_, (s.product_id for s in found))
    shops = await plans.shop_names(global_, (s.shop_id for s in found))
    who = await creators.by_ids(global_, (s.creator_id for s in found))
    return [
        SampleView(s, titles.get(s.product_id, ""), shops.get(s.shop_id, ""), who[s.creator_id])
        for s in found
    ]


async def view_of(global_: AsyncSession, sample: SampleRequest) -> SampleView:
    return (await _views(global_, SampleRequest.id == sample.id))[0]


async def for_shop(global_: AsyncSession, *, shop_id: int) -> list[SampleView]:
    return await _views(global_, SampleRequest.shop_id == shop_id)


async def for_creator(global_: AsyncSession, *, creator_id: int) -> list[SampleView]:
    return await _views(global_, SampleRequest.creator_id == creator_id)


def choices(
    invitations: Iterable[plans.InvitationView], samples: Iterable[SampleView]
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


async def decide(
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


async def ship(
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


@dataclass(frozen=True)
class CreatorSamples:
    """Creator Center's samples page: what the creator asked for, and what they may ask."""

    samples: list[SampleView]
    choices: list[SampleChoice]


async def creator_page(global_: AsyncSession, *, creator_id: int) -> CreatorSamples:
    samples = await for_creator(global_, creator_id=creator_id)
    invitations = await plans.creator_invitations(global_, creator_id=creator_id)
    return CreatorSamples(samples, choices(invitations, samples))
