"""The showcase's JSON routes (creators): the products on your public tab, in your order,
priced in your market."""

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.showcase import service as showcase
from shoptide.affiliate.showcase.schemas import (
    ShowcaseAdd,
    ShowcaseItemRead,
    ShowcaseMove,
    showcase_read,
)
from shoptide.creators.deps import CreatorSeat, CurrentCreator
from shoptide.deps import GlobalRead, GlobalWrite
from shoptide.ids import Id
from shoptide.markets import service as markets_service

router = APIRouter(prefix="/creator", tags=["creator: affiliate"])


async def _listed(session: AsyncSession, seat: CreatorSeat) -> list[ShowcaseItemRead]:
    """The showcase after a change, read in the route's own session."""
    market = await markets_service.get(session, seat.creator.market_code)
    found = await showcase.products(session, creator_id=seat.creator.id, market=market.code)
    return showcase_read(found, market.locale)


@router.get("/showcase", response_model=list[ShowcaseItemRead])
async def my_showcase(seat: CurrentCreator, session: GlobalRead) -> list[ShowcaseItemRead]:
    return await _listed(session, seat)


@router.post("/showcase", response_model=list[ShowcaseItemRead])
async def add_to_showcase(
    body: ShowcaseAdd, seat: CurrentCreator, session: GlobalWrite
) -> list[ShowcaseItemRead]:
    """Add a product that pays you commission to your showcase, last (again: no change)."""
    await showcase.add(session, creator=seat.creator, product_id=body.product_id)
    return await _listed(session, seat)


@router.post("/showcase/{product_id}/move", response_model=list[ShowcaseItemRead])
async def move_in_showcase(
    product_id: Id,
    body: ShowcaseMove,
    seat: CurrentCreator,
    session: GlobalWrite,
) -> list[ShowcaseItemRead]:
    await showcase.move(
        session, creator_id=seat.creator.id, product_id=product_id, direction=body.direction
    )
    return await _listed(session, seat)


@router.delete("/showcase/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_from_showcase(
    product_id: Id, seat: CurrentCreator, session: GlobalWrite
) -> Response:
    await showcase.remove(session, creator_id=seat.creator.id, product_id=product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
