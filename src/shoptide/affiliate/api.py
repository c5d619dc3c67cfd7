"""The affiliate program's JSON routes: a shop's open plan, invitations and samples
(merchants); the marketplace, showcase, invitations and samples (creators). Rates travel in
percent; every id outside the caller's own shop or creator profile is not found."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import marketplace, plans
from shoptide.affiliate.deps import CreatorSeat, CurrentCreator
from shoptide.affiliate.models import SHOP_WIDE
from shoptide.affiliate.schemas import (
    InvitationCreate,
    InvitationRead,
    MarketplacePageRead,
    OpenPlanRead,
    OpenRateIn,
    SampleCreate,
    SampleRead,
    SampleShip,
    ShowcaseAdd,
    ShowcaseItemRead,
    ShowcaseMove,
    invitation_read,
    marketplace_page_read,
    open_plan_read,
    sample_read,
    showcase_read,
)
from shoptide.deps import CurrentSeat, GlobalRead, GlobalWrite
from shoptide.markets import service as markets_service

public_router = APIRouter()
router = APIRouter()
seller = APIRouter(prefix="/seller/affiliate", tags=["seller: affiliate"])
creator = APIRouter(prefix="/creator", tags=["creator: affiliate"])


# --- merchants: the open plan -------------------------------------------------------------------


@seller.get("/plan", response_model=OpenPlanRead)
async def open_plan(seat: CurrentSeat, session: GlobalRead) -> OpenPlanRead:
    """The shop's open rates: the shop-wide one (product_id null) and each product's own."""
    return open_plan_read(seat.shop.id, await plans.list_open(session, shop_id=seat.shop.id))


@seller.put("/plan", response_model=OpenPlanRead)
async def set_open_rate(body: OpenRateIn, seat: CurrentSeat, session: GlobalWrite) -> OpenPlanRead:
    """Set the rate every creator earns on one of your products, or on all of them."""
    await plans.set_open_rate(
        session,
        shop_id=seat.shop.id,
        product_id=body.product_id or SHOP_WIDE,
        rate_bp=plans.parse_rate_percent(body.rate_percent),
    )
    return open_plan_read(seat.shop.id, await plans.list_open(session, shop_id=seat.shop.id))


@seller.delete("/plan/shop", status_code=status.HTTP_204_NO_CONTENT)
async def end_shop_rate(seat: CurrentSeat, session: GlobalWrite) -> Response:
    """End the shop-wide rate (products' own rates stay)."""
    await plans.end_open_rate(session, shop_id=seat.shop.id, product_id=SHOP_WIDE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@seller.delete("/plan/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_product_rate(product_id: int, seat: CurrentSeat, session: GlobalWrite) -> Response:
    """End a product's own rate (the shop-wide one, if any, covers it again)."""
    await plans.end_open_rate(session, shop_id=seat.shop.id, product_id=product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- merchants: invitations and samples ---------------------------------------------------------


@seller.get("/invitations", response_model=list[InvitationRead])
async def shop_invitations(seat: CurrentSeat, session: GlobalRead) -> list[InvitationRead]:
    return [invitation_read(v) for v in await plans.shop_invitations(session, shop_id=seat.shop.id)]


@seller.post("/invitations", response_model=InvitationRead, status_code=status.HTTP_201_CREATED)
async def invite(body: InvitationCreate, seat: CurrentSeat, session: GlobalWrite) -> InvitationRead:
    """Invite a creator (by handle) to promote some of your products at a rate of their own."""
    invitation = await plans.invite(
        session,
        shop_id=seat.shop.id,
        handle=body.creator,
        rate_bp=plans.parse_rate_percent(body.rate_percent),
        product_ids=body.product_ids,
        expires_at=body.expires_at,
        samples_offered=body.samples_offered,
        message=body.message,
    )
    return invitation_read(await plans.view_of(session, invitation))


@seller.post("/invitations/{invitation_id}/withdraw", response_model=InvitationRead)
async def withdraw(invitation_id: int, seat: CurrentSeat, session: GlobalWrite) -> InvitationRead:
    invitation = await plans.withdraw(session, shop_id=seat.shop.id, invitation_id=invitation_id)
    return invitation_read(await plans.view_of(session, invitation))


@seller.get("/samples", response_model=list[SampleRead])
async def shop_samples(seat: CurrentSeat, session: GlobalRead) -> list[SampleRead]:
    return [sample_read(v) for v in await plans.shop_samples(session, shop_id=seat.shop.id)]


async def _decide(session: AsyncSession, shop_id: int, sample_id: int, approve: bool) -> SampleRead:
    sample = await plans.decide_sample(
        session, shop_id=shop_id, sample_id=sample_id, approve=approve
    )
    return sample_read(await plans.sample_view_of(session, sample))


@seller.post("/samples/{sample_id}/approve", response_model=SampleRead)
async def approve_sample(sample_id: int, seat: CurrentSeat, session: GlobalWrite) -> SampleRead:
    return await _decide(session, seat.shop.id, sample_id, approve=True)


@seller.post("/samples/{sample_id}/reject", response_model=SampleRead)
async def reject_sample(sample_id: int, seat: CurrentSeat, session: GlobalWrite) -> SampleRead:
    return await _decide(session, seat.shop.id, sample_id, approve=False)


@seller.post("/samples/{sample_id}/ship", response_model=SampleRead)
async def ship_sample(
    sample_id: int, body: SampleShip, seat: CurrentSeat, session: GlobalWrite
) -> SampleRead:
    sample = await plans.ship_sample(
        session,
        shop_id=seat.shop.id,
        sample_id=sample_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return sample_read(await plans.sample_view_of(session, sample))


# --- creators: marketplace and showcase ---------------------------------------------------------


@creator.get("/marketplace", response_model=MarketplacePageRead)
async def search_marketplace(
    seat: CurrentCreator,
    session: GlobalRead,
    category: Annotated[str | None, Query(max_length=80, description="Category slug")] = None,
    min_rate_percent: Annotated[Decimal | None, Query(examples=["10"])] = None,
    price_min: Annotated[Decimal | None, Query(description="In your market's currency")] = None,
    price_max: Annotated[Decimal | None, Query(description="In your market's currency")] = None,
    min_sales: Annotated[int | None, Query(ge=0, description="Units sold")] = None,
    sort: Annotated[str, Query(pattern="^(earnings|rate|sales|price|newest)$")] = "earnings",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=marketplace.MAX_PER_PAGE)] = 24,
) -> MarketplacePageRead:
    """Products on sale in your market that pay you commission, by estimated earnings per
    sale unless `sort` says otherwise."""
    market = await markets_service.get(session, seat.creator.market_code)
    filters = marketplace.parse_filters(
        currency=market.currency,
        category=category,
        min_rate=min_rate_percent,
        price_min=price_min,
        price_max=price_max,
        min_sales=min_sales,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    found = await marketplace.search(
        session, creator=seat.creator, market=market.code, filters=filters
    )
    return marketplace_page_read(found, market.locale)


async def _showcase(session: AsyncSession, seat: CreatorSeat) -> list[ShowcaseItemRead]:
    market = await markets_service.get(session, seat.creator.market_code)
    found = await marketplace.showcase(session, creator_id=seat.creator.id, market=market.code)
    return showcase_read(found, market.locale)


@creator.get("/showcase", response_model=list[ShowcaseItemRead])
async def my_showcase(seat: CurrentCreator, session: GlobalRead) -> list[ShowcaseItemRead]:
    return await _showcase(session, seat)


@creator.post("/showcase", response_model=list[ShowcaseItemRead])
async def add_to_showcase(
    body: ShowcaseAdd, seat: CurrentCreator, session: GlobalWrite
) -> list[ShowcaseItemRead]:
    """Add a product that pays you commission to your showcase, last (again: no change)."""
    await marketplace.add_to_showcase(session, creator=seat.creator, product_id=body.product_id)
    return await _showcase(session, seat)


@creator.post("/showcase/{product_id}/move", response_model=list[ShowcaseItemRead])
async def move_in_showcase(
    product_id: int, body: ShowcaseMove, seat: CurrentCreator, session: GlobalWrite
) -> list[ShowcaseItemRead]:
    await marketplace.move(
        session, creator_id=seat.creator.id, product_id=product_id, direction=body.direction
    )
    return await _showcase(session, seat)


@creator.delete("/showcase/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_from_showcase(
    product_id: int, seat: CurrentCreator, session: GlobalWrite
) -> Response:
    await marketplace.remove_from_showcase(
        session, creator_id=seat.creator.id, product_id=product_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- creators: invitations and samples ----------------------------------------------------------


@creator.get("/invitations", response_model=list[InvitationRead])
async def my_invitations(seat: CurrentCreator, session: GlobalRead) -> list[InvitationRead]:
    views = await plans.creator_invitations(session, creator_id=seat.creator.id)
    return [invitation_read(v) for v in views]


@creator.post("/invitations/{invitation_id}/accept", response_model=InvitationRead)
async def accept_invitation(
    invitation_id: int, seat: CurrentCreator, session: GlobalWrite
) -> InvitationRead:
    """Earn the invitation's rate on its products until it expires."""
    invitation = await plans.accept(
        session, creator_id=seat.creator.id, invitation_id=invitation_id
    )
    return invitation_read(await plans.view_of(session, invitation))


@creator.post("/invitations/{invitation_id}/decline", response_model=InvitationRead)
async def decline_invitation(
    invitation_id: int, seat: CurrentCreator, session: GlobalWrite
) -> InvitationRead:
    invitation = await plans.decline(
        session, creator_id=seat.creator.id, invitation_id=invitation_id
    )
    return invitation_read(await plans.view_of(session, invitation))


@creator.get("/samples", response_model=list[SampleRead])
async def my_samples(seat: CurrentCreator, session: GlobalRead) -> list[SampleRead]:
    return [
        sample_read(v) for v in await plans.creator_samples(session, creator_id=seat.creator.id)
    ]


@creator.post("/samples", response_model=SampleRead, status_code=status.HTTP_201_CREATED)
async def request_sample(
    body: SampleCreate, seat: CurrentCreator, session: GlobalWrite
) -> SampleRead:
    """Ask for a free sample of a product of an accepted invitation that offers samples."""
    sample = await plans.request_sample(
        session,
        creator_id=seat.creator.id,
        invitation_id=body.invitation_id,
        product_id=body.product_id,
        ship_to=body.ship_to,
        note=body.note,
    )
    return sample_read(await plans.sample_view_of(session, sample))


router.include_router(seller)
router.include_router(creator)
