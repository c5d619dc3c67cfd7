"""Dependencies of the public video routes: the market named in the URL and its cell.

A video lives in its market's cell, so its URL names the market (/videos/ID/12). Shoppers
browse their own market: a shopper of another market gets "not found". Visitors and
business accounts may open any market's video (a shared link works for them).
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.deps import GlobalRead, OptionalUser
from shoptide.errors import NotFound


async def video_market(
    user: OptionalUser,
    market: Annotated[str, Path(min_length=2, max_length=2, examples=["ID"])],
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
    databases = request.app.state.databases
    cell = databases.settings.cell_of_market(market)
    async with databases.session(cell, write=write) as session:
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
