"""Dependencies of the public video routes: the market named in the URL and its cell.

A video lives in its market's cell, so its URL names the market (/videos/ID/12). Shoppers
browse their own market: a shopper of another market gets "not found". Visitors and
business accounts may open any market's video (a shared link works for them).
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.deps import GlobalRead, OptionalUser, unit_of_work
from shoptide.errors import NotFound, SlowDown
from shoptide.ids import Id
from shoptide.markets.schemas import MarketCode


async def video_market(
    user: OptionalUser,
    market: Annotated[MarketCode, Path(examples=["ID"])],
) -> str:
    code = market.upper()
    if user is not None and user.role == "shopper" and user.market_code != code:
        raise NotFound("This video isn't available in your market.")
    return code


VideoMarket = Annotated[str, Depends(video_market)]


async def viewer_id(user: OptionalUser) -> int | None:
    """Whose engagement this is: a shopper's id, or None (signed out, business accounts)."""
    return user.user_id if user is not None and user.role == "shopper" else None


ViewerId = Annotated[int | None, Depends(viewer_id)]


async def _video_session(
    request: Request, market: str, global_first: AsyncSession, *, write: bool
) -> AsyncIterator[AsyncSession]:
    await global_first.connection()  # the global connection first, as in shoptide.deps
    cell = request.app.state.settings.cell_of_market(market)
    async for session in unit_of_work(request, cell, write=write):
        yield session


async def video_cell_reader(
    request: Request, market: VideoMarket, global_first: GlobalRead
) -> AsyncIterator[AsyncSession]:
    async for session in _video_session(request, market, global_first, write=False):
        yield session


async def video_cell_writer(
    request: Request, market: VideoMarket, global_first: GlobalRead
) -> AsyncIterator[AsyncSession]:
    async for session in _video_session(request, market, global_first, write=True):
        yield session


VideoCellRead = Annotated[AsyncSession, Depends(video_cell_reader, scope="function")]
VideoCellWrite = Annotated[AsyncSession, Depends(video_cell_writer, scope="function")]


# How often one viewer may send each signal about one video: the feed learns from them, so a
# script replaying pings must not be able to buy a video its audience.
ENGAGEMENT_LIMITS: dict[str, tuple[tuple[float, int], ...]] = {
    "view": ((600.0, 1),),  # one view per ten minutes
    "watch": ((4.0, 1), (60.0, 15)),  # the player pings every 5 s
    "share": ((60.0, 3),),
}


def throttled(signal: str) -> Any:
    """A route dependency refusing a viewer's `signal` about a video beyond its limits.
    Signed-out viewers are told apart by their session (pages) or address (API)."""
    limits = ENGAGEMENT_LIMITS[signal]

    async def check(
        request: Request,
        viewer: ViewerId,
        video_id: Annotated[Id, Path()],
    ) -> None:
        who = (
            viewer or request.session.get("csrf") or (request.client.host if request.client else "")
        )
        key = f"video:{signal}:{video_id}:{who}"
        if not await request.app.state.live_hub.allow(key, limits):
            raise SlowDown("That was too many at once. Wait a moment and try again.")

    return Depends(check)
