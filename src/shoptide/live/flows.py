"""Live rooms' use cases that own their units of work: a room's page and its reminders, the
host's schedule and console, and the room's socket. (The stream's panel and the media
server's callbacks are live.streaming; selling in a room is live.selling.)

Each opens the unit of work in the room's cell with `in_room` (the global session first,
only read), and what the room hears of a change is published only after it committed.
Routes pass `databases` (and the hub) to one of these; everything else in live takes the
sessions it works in.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import update

from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.catalog.images import write_file
from shoptide.catalog.models import Product
from shoptide.db import Databases
from shoptide.live import commerce, media, rooms, service
from shoptide.live.models import LiveRoom, RoomComment
from shoptide.live.rooms import RoomScope
from shoptide.live.service import Participant
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)

COVERS = "live-covers"  # under media_dir


class Publisher(Protocol):
    """Where room messages go (the live hub)."""

    async def publish(self, room: str, message: dict[str, Any]) -> None: ...


@asynccontextmanager
async def in_room(
    databases: Databases, public_name: str, *, write: bool = False
) -> AsyncIterator[RoomScope]:
    """A unit of work in the room's cell; the global session is taken first (deps.py's
    order) and only read. Commits on exit when `write`; NotFound for an unknown room."""
    cell_name = rooms.cell_of_room(databases, public_name)
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()
        async with databases.session(cell_name, write=write) as cell:
            room = await rooms.get(cell, public_name)
            market = await markets_service.get(global_, room.market_code)
            yield RoomScope(room, market, cell_name, cell, global_)


async def record_peak(databases: Databases, public_name: str, viewers: int) -> None:
    """Raise the room's peak to `viewers` if it is higher (the hub calls it now and then)."""
    async with databases.session(rooms.cell_of_room(databases, public_name)) as session:
        await session.execute(
            update(LiveRoom)
            .where(LiveRoom.public_name == public_name, LiveRoom.peak_viewers < viewers)
            .values(peak_viewers=viewers)
        )


async def rooms_of_shop(databases: Databases, *, shop_id: int) -> list[LiveRoom]:
    """The shop's rooms in every market, the latest scheduled first."""
    found: list[LiveRoom] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            found += await rooms.for_shop(session, shop_id=shop_id)
    return sorted(found, key=lambda room: room.scheduled_at, reverse=True)


# --- shoppers -------------------------------------------------------------------------------


async def get_room(databases: Databases, public_name: str) -> LiveRoom:
    async with in_room(databases, public_name) as scope:
        return scope.room


async def recent_comments(databases: Databases, public_name: str) -> list[RoomComment]:
    """The room's latest visible comments, oldest first."""
    async with in_room(databases, public_name) as scope:
        return await service.recent_comments(scope.cell, scope.room)


@dataclass(frozen=True)
class RoomPage:
    """A room as its page shows it to one visitor."""

    room: LiveRoom
    market: Market
    hls_url: str | None  # viewers never get the stream's address while the host rehearses
    replay_url: str | None
    chapters: list[dict[str, Any]]
    reminded: bool
    can_remind: bool


def _clock(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


async def _chapters(scope: RoomScope) -> list[dict[str, Any]]:
    """The replay's chapters: each pinned product, and where its pin starts."""
    chapters = await media.replay_chapters(scope.cell, scope.room)
    titles = {
        s.product_id: s.title
        for s in await catalog_service.sellables_of_products(
            scope.global_, [c.product_id for c in chapters], market=scope.room.market_code
        )
    }
    return [
        {"title": titles[c.product_id], "offset": c.offset_seconds, "at": _clock(c.offset_seconds)}
        for c in chapters
        if c.product_id in titles
    ]


async def room_page(databases: Databases, public_name: str, *, user: Principal | None) -> RoomPage:
    settings = databases.settings
    async with in_room(databases, public_name) as scope:
        room = scope.room
        replay = media.replay_url(settings, room) if room.status == "ended" else None
        chapters = await _chapters(scope) if replay else []
        shopper = service.shopper_of_market(user, room.market_code)
        reminded = shopper is not None and room.id in await service.reminded(
            scope.cell, shopper_id=shopper.user_id, room_ids=[room.id]
        )
    return RoomPage(
        room=room,
        market=scope.market,
        hls_url=media.hls_url(settings, room) if room.status == "live" else None,
        replay_url=replay,
        chapters=chapters,
        reminded=reminded,
        can_remind=shopper is not None,
    )


async def remind(databases: Databases, public_name: str, *, user: Principal) -> str:
    """The shopper is told when the room goes live; returns the room's title."""
    async with in_room(databases, public_name, write=True) as scope:
        await service.remind(scope, user)
        return scope.room.title


# --- hosts: the schedule ----------------------------------------------------------------------


@dataclass(frozen=True)
class HostRooms:
    """What the host's rooms page shows: the shop's rooms, and the products it may sell."""

    rooms: list[LiveRoom]
    products: list[Product]  # the shop's published products


async def host_rooms(databases: Databases, *, shop_id: int) -> HostRooms:
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        products = await catalog_service.list_for_shop(global_, shop_id=shop_id)
    hosted = await rooms_of_shop(databases, shop_id=shop_id)
    return HostRooms(hosted, [p for p in products if p.status == "published"])


@dataclass(frozen=True)
class RoomPlan:
    """A room as the host asks for it."""

    market: str
    title: str
    starts_at: datetime
    product_ids: list[int]
    rehearsal: bool
    cover: tuple[bytes, str] | None  # the picture and its real extension


async def _save_cover(databases: Databases, cover: tuple[bytes, str]) -> str:
    data, extension = cover
    relative = f"{COVERS}/{uuid.uuid4().hex}.{extension}"
    await asyncio.to_thread(write_file, databases.settings.media_dir / relative, data)
    return relative


async def schedule(
    databases: Databases, plan: RoomPlan, *, host_user_id: int, shop_id: int
) -> tuple[LiveRoom, str]:
    """Schedule in the market's cell; returns the room and its secret stream key. The
    cover is written first, and removed again if the room isn't saved."""
    settings = databases.settings
    cover_path = await _save_cover(databases, plan.cover) if plan.cover else ""
    try:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()  # the global connection first, then the cell's
            async with databases.session(settings.cell_of_market(plan.market)) as cell:
                room, key = await rooms.schedule(
                    cell,
                    global_,
                    host_user_id=host_user_id,
                    shop_id=shop_id,
                    market=plan.market,
                    title=plan.title,
                    scheduled_at=plan.starts_at,
                    product_ids=plan.product_ids,
                    rehearsal=plan.rehearsal,
                )
                room.cover_path = cover_path
        return room, key
    except BaseException:
        if cover_path:
            (settings.media_dir / cover_path).unlink(missing_ok=True)
        raise


# --- hosts: the console -----------------------------------------------------------------------


@dataclass(frozen=True)
class Console:
    """The host's own room as its console shows it."""

    room: LiveRoom
    market: Market
    products: list[tuple[int, str]]  # the room's products in its market: (id, title)
    pinned: int | None
    moderators: list[tuple[int, str]]
    muted: list[tuple[int, str]]


async def console(databases: Databases, public_name: str, *, shop_id: int) -> Console:
    async with in_room(databases, public_name) as scope:
        room = scope.room
        rooms.ensure_host(room, shop_id=shop_id)
        product_ids = await service.room_product_ids(scope.cell, room)
        titles = {
            s.product_id: s.title
            for s in await catalog_service.sellables_of_products(
                scope.global_, product_ids, market=room.market_code
            )
        }
        return Console(
            room=room,
            market=scope.market,
            products=[(pid, titles[pid]) for pid in product_ids if pid in titles],
            pinned=await commerce.pinned_product(scope.cell, room),
            moderators=await service.moderators(scope.cell, room),
            muted=await service.muted(scope.cell, room),
        )


# what a console action did: the message for the room (None: nothing to tell) and its result
HostAct = Callable[[RoomScope], Awaitable[tuple[dict[str, Any] | None, Any]]]


async def _as_host(
    databases: Databases, hub: Publisher, public_name: str, shop_id: int, act: HostAct
) -> Any:
    """Run `act` in the host's own room in one unit of work; publish once committed."""
    async with in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        message, result = await act(scope)
    if message is not None:
        await hub.publish(public_name, message)
    return result


async def pin(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int, product_id: int
) -> str:
    """Pin one of the room's products for its viewers; returns its title."""

    async def act(scope: RoomScope) -> tuple[dict[str, Any], str]:
        card = await service.pin(scope, product_id)
        return {"type": "pin", "product": card}, card["title"]

    title: str = await _as_host(databases, hub, public_name, shop_id, act)
    return title


async def unpin(databases: Databases, hub: Publisher, public_name: str, *, shop_id: int) -> bool:
    """Close the room's pin; False when nothing was pinned."""

    async def act(scope: RoomScope) -> tuple[dict[str, Any] | None, bool]:
        if await service.unpin(scope):
            return {"type": "unpin"}, True
        return None, False

    unpinned: bool = await _as_host(databases, hub, public_name, shop_id, act)
    return unpinned


async def appoint_moderator(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int, email: str
) -> str:
    """Make a shopper of the room's market a moderator; returns their name."""

    async def act(scope: RoomScope) -> tuple[None, str]:
        return None, await service.appoint_moderator(scope, email=email)

    name: str = await _as_host(databases, hub, public_name, shop_id, act)
    return name


async def remove_moderator(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int, shopper_id: int
) -> None:
    async def act(scope: RoomScope) -> tuple[None, None]:
        await service.remove_moderator(scope.cell, scope.room, shopper_id)
        return None, None

    await _as_host(databases, hub, public_name, shop_id, act)


async def unmute(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int, shopper_id: int
) -> None:
    """The viewer may comment again; their own sockets hear it."""

    async def act(scope: RoomScope) -> tuple[dict[str, Any], None]:
        await service.unmute(scope.cell, scope.room, shopper_id)
        notice = {
            "type": "notice",
            "to_shopper": shopper_id,
            "message": "The host unmuted you: you can comment again.",
        }
        return notice, None

    await _as_host(databases, hub, public_name, shop_id, act)


# --- the room's socket ------------------------------------------------------------------------


async def join(
    databases: Databases,
    public_name: str,
    *,
    user: Principal | None,
    viewers: int,
    identify: Callable[[Participant], None],
) -> tuple[Participant, dict[str, Any]]:
    """Who joins and the snapshot they get, in one short read; `identify` hears who they
    are before the snapshot is read (what the room says meanwhile waits for them)."""
    async with in_room(databases, public_name) as scope:
        you = await service.participant(scope, user)
        identify(you)
        return you, await service.snapshot(scope, viewers=viewers, you=you)


async def comment(
    databases: Databases, public_name: str, *, you: Participant, body: str
) -> RoomComment:
    async with in_room(databases, public_name, write=True) as scope:
        return await service.add_comment(scope, you, body)


async def delete_comment(
    databases: Databases, public_name: str, *, you: Participant, comment_id: int
) -> None:
    async with in_room(databases, public_name, write=True) as scope:
        await service.delete_comment(scope, you, comment_id)


async def mute_author(
    databases: Databases, public_name: str, *, you: Participant, comment_id: int
) -> RoomComment:
    async with in_room(databases, public_name, write=True) as scope:
        return await service.mute_author(scope, you, comment_id)
