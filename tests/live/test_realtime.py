"""The hub and its brokers: a slow client never holds the room up, messages reach their
audience, limits and viewer counts hold across processes (Redis)."""

import asyncio
import uuid

import pytest
import redis.asyncio as redis

from shoptide.live.realtime import Hub, MemoryBroker, RedisBroker, Viewer
from tests.live.support import eventually

REDIS_URL = "redis://127.0.0.1:6379/15"


class FakeSocket:
    """A client that reads only when told to: `stuck` ones never read."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.received: list[str] = []
        self.closed_with: int | None = None
        self._stuck = stuck
        self._never = asyncio.Event()

    async def send_text(self, data: str) -> None:
        if self._stuck:
            await self._never.wait()
        self.received.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


async def idle() -> None:
    await asyncio.Event().wait()


async def test_a_stuck_client_is_dropped_and_the_others_keep_receiving():
    hub = Hub(MemoryBroker())
    stuck, healthy = FakeSocket(stuck=True), FakeSocket()
    slow, fast = Viewer(stuck), Viewer(healthy)
    async with hub.watching("us-aaaaaaaaaa", slow), hub.watching("us-aaaaaaaaaa", fast):
        serving = [asyncio.create_task(v.serve(idle)) for v in (slow, fast)]
        for n in range(600):  # more than a socket may fall behind
            await hub.publish("us-aaaaaaaaaa", {"type": "comment", "n": n})
            await asyncio.sleep(0)
        await asyncio.wait_for(serving[0], 5)  # the stuck one is let go...

        async def all_delivered() -> bool:  # ...the healthy one got everything
            return len(healthy.received) == 600

        await eventually(all_delivered)
        serving[1].cancel()
    assert slow.dropped and stuck.closed_with == 1013
    assert not fast.dropped


async def redis_or_skip() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.ConnectionError, OSError):
        pytest.skip("no Redis at 127.0.0.1:6379")
    finally:
        await client.aclose()


async def test_two_hubs_on_redis_share_messages_counts_and_limits():
    """Two processes, as far as the hubs can tell: each with its own broker connection."""
    await redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    a, b = Hub(RedisBroker(REDIS_URL, prefix)), Hub(RedisBroker(REDIS_URL, prefix))
    room = "us-bbbbbbbbbb"
    on_a, on_b = FakeSocket(), FakeSocket()
    try:
        async with a.watching(room, Viewer(on_a)) as first, b.watching(room, Viewer(on_b)) as both:
            assert (first, both) == (1, 2)
            serving = [asyncio.create_task(v.serve(idle)) for v in a._rooms[room] | b._rooms[room]]
            await a.publish(room, {"type": "comment", "body": "from A"})

            async def heard_on_b() -> bool:
                return bool(on_b.received)

            await eventually(heard_on_b)
            assert '"from A"' in on_b.received[0]
            assert (await a.broker.viewer_totals({room: 1}))[room] == 2
            limits = ((60.0, 1),)
            assert await a.allow(f"comment:{room}:main:1", limits)
            assert not await b.allow(f"comment:{room}:main:1", limits)  # held across processes
            for task in serving:
                task.cancel()
    finally:
        await a.stop()
        await b.stop()


async def test_each_tick_tells_the_feed_how_many_watch_each_room():
    heard: list[dict[str, int]] = []
    hub = Hub(MemoryBroker(), on_totals=lambda totals: heard.append(dict(totals)))
    room = "us-cccccccccc"
    try:
        async with (
            hub.watching(room, Viewer(FakeSocket())),
            hub.watching(room, Viewer(FakeSocket())),
        ):
            await hub.tick()
        await hub.tick()  # the room emptied
    finally:
        await hub.stop()

    assert heard == [{room: 2}, {room: 0}]
