"""The samples' JSON routes: the requests a shop received (approve, reject, ship) and the
ones a creator made. Every id outside the caller's own shop or creator profile is not found."""

from fastapi import APIRouter, status

from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.samples.schemas import SampleCreate, SampleRead, SampleShip, sample_read
from shoptide.creators.deps import CurrentCreator
from shoptide.deps import CurrentSeat, GlobalRead, GlobalWrite
from shoptide.ids import Id

router = APIRouter()
seller = APIRouter(prefix="/seller/affiliate", tags=["seller: affiliate"])
creator = APIRouter(prefix="/creator", tags=["creator: affiliate"])


# --- merchants ----------------------------------------------------------------------------------


@seller.get("/samples", response_model=list[SampleRead])
async def shop_samples(seat: CurrentSeat, session: GlobalRead) -> list[SampleRead]:
    return [sample_read(v) for v in await samples.for_shop(session, shop_id=seat.shop.id)]


@seller.post("/samples/{sample_id}/approve", response_model=SampleRead)
async def approve_sample(sample_id: Id, seat: CurrentSeat, session: GlobalWrite) -> SampleRead:
    sample = await samples.decide(session, shop_id=seat.shop.id, sample_id=sample_id, approve=True)
    return sample_read(await samples.view_of(session, sample))


@seller.post("/samples/{sample_id}/reject", response_model=SampleRead)
async def reject_sample(sample_id: Id, seat: CurrentSeat, session: GlobalWrite) -> SampleRead:
    sample = await samples.decide(session, shop_id=seat.shop.id, sample_id=sample_id, approve=False)
    return sample_read(await samples.view_of(session, sample))


@seller.post("/samples/{sample_id}/ship", response_model=SampleRead)
async def ship_sample(
    sample_id: Id, body: SampleShip, seat: CurrentSeat, session: GlobalWrite
) -> SampleRead:
    sample = await samples.ship(
        session,
        shop_id=seat.shop.id,
        sample_id=sample_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return sample_read(await samples.view_of(session, sample))


# --- creators -----------------------------------------------------------------------------------


@creator.get("/samples", response_model=list[SampleRead])
async def my_samples(seat: CurrentCreator, session: GlobalRead) -> list[SampleRead]:
    return [sample_read(v) for v in await samples.for_creator(session, creator_id=seat.creator.id)]


@creator.post("/samples", response_model=SampleRead, status_code=status.HTTP_201_CREATED)
async def request_sample(
    body: SampleCreate, seat: CurrentCreator, session: GlobalWrite
) -> SampleRead:
    """Ask for a free sample of a product of an accepted invitation that offers samples."""
    sample = await samples.request(
        session,
        creator_id=seat.creator.id,
        invitation_id=body.invitation_id,
        product_id=body.product_id,
        ship_to=body.ship_to,
        note=body.note,
    )
    return sample_read(await samples.view_of(session, sample))


router.include_router(seller)
router.include_router(creator)
