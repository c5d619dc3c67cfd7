"""The plans' JSON routes: a shop's open plan and its invitations (merchants); the
invitations shops sent a creator (creators). Rates travel in percent; every id outside the
caller's own shop or creator profile is not found."""

from typing import Any

from fastapi import APIRouter, Response, status

from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import SHOP_WIDE
from shoptide.affiliate.plans.schemas import (
    InvitationCreate,
    InvitationRead,
    OpenPlanRead,
    OpenRateIn,
    invitation_read,
    open_plan_read,
)
from shoptide.affiliate.rates import parse_rate_percent
from shoptide.creators.deps import CurrentCreator
from shoptide.deps import CurrentSeat, GlobalRead, GlobalWrite
from shoptide.ids import Id

router = APIRouter()
seller = APIRouter(prefix="/seller/affiliate", tags=["seller: affiliate"])
creator = APIRouter(prefix="/creator", tags=["creator: affiliate"])


# --- merchants: the open plan -------------------------------------------------------------------


@seller.get("/plan", response_model=OpenPlanRead)
async def open_plan(seat: CurrentSeat, session: GlobalRead) -> OpenPlanRead:
    """The shop's open rates: the shop-wide one (product_id null) and each product's own."""
    return open_plan_read(seat.shop.id, await plans.list_open(session, shop_id=seat.shop.id))


RATE_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "`product_id` is not one of your shop's products"},
    409: {"description": "The rate was changed elsewhere at the same moment"},
}


@seller.put("/plan", response_model=OpenPlanRead, responses=RATE_REFUSALS)
async def set_open_rate(body: OpenRateIn, seat: CurrentSeat, session: GlobalWrite) -> OpenPlanRead:
    """Set the rate every creator earns on one of your products, or on all of them."""
    await plans.set_open_rate(
        session,
        shop_id=seat.shop.id,
        product_id=body.product_id or SHOP_WIDE,
        rate_bp=parse_rate_percent(body.rate_percent),
    )
    return open_plan_read(seat.shop.id, await plans.list_open(session, shop_id=seat.shop.id))


@seller.delete(
    "/plan/shop",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "The shop has no shop-wide rate to end"}},
)
async def end_shop_rate(seat: CurrentSeat, session: GlobalWrite) -> Response:
    """End the shop-wide rate (products' own rates stay)."""
    await plans.end_open_rate(session, shop_id=seat.shop.id, product_id=SHOP_WIDE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@seller.delete("/plan/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_product_rate(product_id: Id, seat: CurrentSeat, session: GlobalWrite) -> Response:
    """End a product's own rate (the shop-wide one, if any, covers it again)."""
    await plans.end_open_rate(session, shop_id=seat.shop.id, product_id=product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- merchants: invitations ---------------------------------------------------------------------


@seller.get("/invitations", response_model=list[InvitationRead])
async def shop_invitations(seat: CurrentSeat, session: GlobalRead) -> list[InvitationRead]:
    return [invitation_read(v) for v in await plans.shop_invitations(session, shop_id=seat.shop.id)]


INVITE_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No creator has that handle, or a product is not your shop's"},
    422: {"description": "Invalid input, or `expires_at` is not within the next year"},
}


@seller.post(
    "/invitations",
    response_model=InvitationRead,
    status_code=status.HTTP_201_CREATED,
    responses=INVITE_REFUSALS,
)
async def invite(body: InvitationCreate, seat: CurrentSeat, session: GlobalWrite) -> InvitationRead:
    """Invite a creator (by handle) to promote some of your products at a rate of their own."""
    invitation = await plans.invite(
        session,
        shop_id=seat.shop.id,
        handle=body.creator,
        rate_bp=parse_rate_percent(body.rate_percent),
        product_ids=body.product_ids,
        expires_at=body.expires_at,
        samples_offered=body.samples_offered,
        message=body.message,
    )
    return invitation_read(await plans.view_of(session, invitation))


@seller.post(
    "/invitations/{invitation_id}/withdraw",
    response_model=InvitationRead,
    responses={409: {"description": "The invitation has ended already (or just changed)"}},
)
async def withdraw(invitation_id: Id, seat: CurrentSeat, session: GlobalWrite) -> InvitationRead:
    invitation = await plans.withdraw(session, shop_id=seat.shop.id, invitation_id=invitation_id)
    return invitation_read(await plans.view_of(session, invitation))


# --- creators: invitations ----------------------------------------------------------------------

# Answering twice the same way changes nothing (200); otherwise only an open invitation moves.
ANSWERS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The invitation was answered or withdrawn already (or just changed)"},
    422: {"description": "The invitation has expired"},
}


@creator.get("/invitations", response_model=list[InvitationRead])
async def my_invitations(seat: CurrentCreator, session: GlobalRead) -> list[InvitationRead]:
    views = await plans.creator_invitations(session, creator_id=seat.creator.id)
    return [invitation_read(v) for v in views]


@creator.post(
    "/invitations/{invitation_id}/accept", response_model=InvitationRead, responses=ANSWERS
)
async def accept_invitation(
    invitation_id: Id, seat: CurrentCreator, session: GlobalWrite
) -> InvitationRead:
    """Earn the invitation's rate on its products until it expires."""
    invitation = await plans.accept(
        session, creator_id=seat.creator.id, invitation_id=invitation_id
    )
    return invitation_read(await plans.view_of(session, invitation))


@creator.post(
    "/invitations/{invitation_id}/decline", response_model=InvitationRead, responses=ANSWERS
)
async def decline_invitation(
    invitation_id: Id, seat: CurrentCreator, session: GlobalWrite
) -> InvitationRead:
    invitation = await plans.decline(
        session, creator_id=seat.creator.id, invitation_id=invitation_id
    )
    return invitation_read(await plans.view_of(session, invitation))


router.include_router(seller)
router.include_router(creator)
