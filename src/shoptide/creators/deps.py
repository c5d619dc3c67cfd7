"""Who is asking, on the creators' routes: the signed-in creator and their profile."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shoptide.accounts.service import Principal
from shoptide.creators import service
from shoptide.creators.models import Creator
from shoptide.deps import CurrentUser, DatabasesDep, GlobalRead
from shoptide.errors import NotAllowed
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL


@dataclass(frozen=True)
class CreatorSeat:
    user: Principal
    creator: Creator
    cell: str  # the cell of the creator's market: their commissions and payouts live there


async def current_creator(user: CurrentUser, databases: DatabasesDep) -> CreatorSeat:
    """Read in a short session of its own, like the merchants' seat."""
    if user.role != "creator":
        raise NotAllowed("Creator Center is for creator accounts.")
    async with databases.session(GLOBAL_CELL, write=False) as session:
        creator = await service.for_user(session, user.user_id)
    return CreatorSeat(user, creator, databases.settings.cell_of_market(creator.market_code))


CurrentCreator = Annotated[CreatorSeat, Depends(current_creator)]


async def creator_market(seat: CurrentCreator, session: GlobalRead) -> Market:
    """The creator's own market: Creator Center shows prices in its currency and locale,
    whatever market the browser last picked."""
    return await markets_service.get(session, seat.creator.market_code)


CreatorMarket = Annotated[Market, Depends(creator_market)]
