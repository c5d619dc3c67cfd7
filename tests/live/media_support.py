"""The media server's side of a room for tests: hooks as nginx calls them, a room
scheduled (or rehearsing), and a hub that keeps what the room would hear."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from shoptide.db import Databases
from shoptide.events import OutboxEvent
from shoptide.live import media, rooms
from shoptide.live.models import LiveRoom
from shoptide.settings import Settings
from tests.live import support
from tests.live.support import LiveRoom as Room


async def scheduled_room(
    databases: Databases, *, market: str = "US", rehearsal: bool = False
) -> Room:
    room = await support.room(databases, market=market, live=False, products=1)
    if rehearsal:
        async with media.room_session(databases, room.public_name) as session:
            waiting = await rooms.get(session, room.public_name)
            await media.set_rehearsal(session, waiting, rehearsal=True)
    return room


async def load(databases: Databases, public_name: str) -> LiveRoom:
    async with media.room_session(databases, public_name, write=False) as session:
        return await rooms.get(session, public_name)


async def event_types(databases: Databases, cell: str) -> list[str]:
    async with databases.session(cell, write=False) as session:
        return list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def hook(settings: Settings) -> dict[str, str]:
    return {"token": media.hook_token(settings)}


async def publish(
    client: httpx.AsyncClient, settings: Settings, name: str, key: str
) -> httpx.Response:
    """What nginx posts when an encoder publishes rtmp://HOST/live/NAME?key=KEY."""
    form = {"app": "live", "call": "publish", "name": name, "type": "live", "key": key}
    return await client.post("/media-hooks/rtmp/publish", params=hook(settings), data=form)


async def publish_done(client: httpx.AsyncClient, settings: Settings, name: str) -> httpx.Response:
    form = {"app": "live", "call": "publish_done", "name": name}
    return await client.post("/media-hooks/rtmp/publish-done", params=hook(settings), data=form)


async def record_done(
    client: httpx.AsyncClient, settings: Settings, name: str, path: Path | str
) -> httpx.Response:
    form = {"app": "live", "call": "record_done", "name": name, "path": str(path)}
    return await client.post("/media-hooks/rtmp/record-done", params=hook(settings), data=form)


class RecordingHub:
    """Stands in for app.state.live_hub: keeps what would go to the room's sockets."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, room: str, message: dict[str, Any]) -> None:
        self.sent.append((room, message))


@pytest.fixture
def hub(app: FastAPI) -> Iterator[RecordingHub]:
    # by hand: monkeypatch can't see Starlette State's attributes and would delete the real hub
    real, app.state.live_hub = app.state.live_hub, RecordingHub()
    yield app.state.live_hub
    app.state.live_hub = real
