"""Live rooms over the JSON API: the market's rooms, one room, its latest comments.
Public: anyone may watch. What happens in a room as it runs comes over its WebSocket."""

from fastapi import APIRouter

from shoptide.deps import OPTIONAL_BEARER, CellRead, CurrentMarket, DatabasesDep
from shoptide.live import flows, rooms
from shoptide.live.schemas import CommentRead, RoomRead

public_router = APIRouter(prefix="/live/rooms", tags=["live"])


@public_router.get("", response_model=list[RoomRead], openapi_extra=OPTIONAL_BEARER)
async def list_rooms(market: CurrentMarket, cell: CellRead) -> list[RoomRead]:
    """Rooms live now in the market (?market=, X-Market or the shopper's own), then the
    coming ones by start time."""
    return [RoomRead.of(room) for room in await rooms.on_air(cell, market=market.code)]


@public_router.get("/{public_name}", response_model=RoomRead)
async def get_room(public_name: str, databases: DatabasesDep) -> RoomRead:
    return RoomRead.of(await flows.get_room(databases, public_name))


@public_router.get("/{public_name}/comments", response_model=list[CommentRead])
async def recent_comments(public_name: str, databases: DatabasesDep) -> list[CommentRead]:
    """The latest visible comments, oldest first."""
    comments = await flows.recent_comments(databases, public_name)
    return [CommentRead.of(comment) for comment in comments]
