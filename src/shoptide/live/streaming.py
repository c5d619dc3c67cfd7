"""The stream's use cases, which own their units of work: the host's stream panel (keys,
rehearsal, open, end) and the media server's callbacks (publish, publish done, record
done). A status change is announced to the room once it committed."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import Databases
from shoptide.live import media, rooms
from shoptide.live.flows import Publisher
from shoptide.live.models import LiveRoom

log = structlog.get_logger(__name__)

VIEWER_STATUSES = ("live", "ended")  # the statuses viewers hear about

# a change to the room in one unit of work; returns a new stream key when it made one
StreamChange = Callable[[AsyncSession, LiveRoom], Awaitable[str | None]]


async def announce(hub: Publisher | None, public_name: str, status: str) -> None:
    """Tell the room's viewers (and its console) the new status. The change is committed
    already: a hub that fails is logged, never turned into a refusal."""
    if hub is None:
        return
    message: dict[str, Any] = {"type": "status", "status": status}
    if status not in VIEWER_STATUSES:
        message["to_hosts"] = True  # a rehearsal is the host's business
    try:
        await hub.publish(public_name, message)
    except Exception:  # Redis or whatever the hub runs on; the room's state is right anyway
        log.exception("could not announce the room's status", room=public_name, status=status)


async def hosted_stream(databases: Databases, public_name: str, *, shop_id: int) -> LiveRoom:
    """The host's own room, as its stream panel shows it."""
    async with media.room_session(databases, public_name, write=False) as session:
        room = await rooms.get(session, public_name)
        rooms.ensure_host(room, shop_id=shop_id)
        return room


async def change_stream(
    databases: Databases, public_name: str, *, shop_id: int, change: StreamChange
) -> tuple[LiveRoom, str | None]:
    """Apply the host's change to their room's stream in one unit of work; returns the
    room and the new stream key, if the change made one."""
    async with media.room_session(databases, public_name) as session:
        room = await rooms.get(session, public_name)
        rooms.ensure_host(room, shop_id=shop_id)
        return room, await change(session, room)


async def open_to_viewers(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int
) -> LiveRoom:
    """The host opens the rehearsed stream to viewers, who hear of it once committed."""
    room, _ = await change_stream(
        databases, public_name, shop_id=shop_id, change=rooms.open_to_viewers
    )
    await announce(hub, public_name, room.status)
    return room


async def end_live(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int
) -> LiveRoom:
    """The host ends the room: nginx drops the encoder, viewers hear it has ended."""
    room, _ = await change_stream(databases, public_name, shop_id=shop_id, change=rooms.end)
    await media.drop_publisher(databases.settings, public_name)
    await announce(hub, public_name, room.status)
    return room


async def begin_publishing(
    databases: Databases, hub: Publisher, public_name: str, *, key: str
) -> str:
    """An encoder starts publishing with `key`; the room hears its new status. Returns it."""
    async with media.room_session(databases, public_name) as session:
        room = await rooms.begin_publishing(session, public_name=public_name, key=key)
        status = room.status
    await announce(hub, public_name, status)
    return status


async def end_publishing(databases: Databases, hub: Publisher, public_name: str) -> str:
    """The encoder stopped; the room hears its new status. Returns it."""
    async with media.room_session(databases, public_name) as session:
        room = await rooms.end_publishing(session, public_name=public_name)
        status = room.status
    await announce(hub, public_name, status)
    return status


async def accept_recording(databases: Databases, public_name: str, path: str) -> Path | None:
    """The recording nginx closed, when the room keeps it for its replay (remux it then)."""
    recording = media.recording_of(databases.settings, public_name, path)
    async with media.room_session(databases, public_name) as session:
        room = await rooms.get(session, public_name)
        kept = await media.accept_recording(session, room, recording)
    return recording if kept else None
