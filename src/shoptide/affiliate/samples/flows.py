"""Sample requests moved from the pages, each in a global unit of work of its own (a domain
error rolls everything back before the form is shown again)."""

from typing import TypedDict, Unpack

from shoptide.affiliate.samples import service
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL


class Asked(TypedDict):
    """What a creator asks for, as service.request takes it."""

    invitation_id: int
    product_id: int
    ship_to: str  # the address, as the creator wrote it
    note: str


async def request(
    databases: Databases, *, creator_id: int, **asked: Unpack[Asked]
) -> SampleRequest:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.request(global_, creator_id=creator_id, **asked)


async def decide(
    databases: Databases, *, shop_id: int, sample_id: int, approve: bool
) -> SampleRequest:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.decide(global_, shop_id=shop_id, sample_id=sample_id, approve=approve)


async def ship(
    databases: Databases, *, shop_id: int, sample_id: int, carrier: str, tracking_number: str
) -> SampleRequest:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.ship(
            global_,
            shop_id=shop_id,
            sample_id=sample_id,
            carrier=carrier,
            tracking_number=tracking_number,
        )
