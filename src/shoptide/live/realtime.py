"""Live rooms in real time: who watches which room on this process, and the broker that
carries a room's messages to every process watching it.

A message is serialised once per publish and travels as an *envelope*: its audience, a
newline, its JSON. Each process hands the JSON to its own sockets through a bounded queue
per socket, so the room never waits for a slow client: one that falls too far behind is
dropped (it reconnects and gets a fresh snapshot).

Two brokers share one small interface: `MemoryBroker` for the embedded, one-process
deployment, and `RedisBroker` (pub/sub, one subscription per process, a channel per room
this process has viewers in) when several app processes serve the same rooms. Viewer counts
and comment rate limits are kept by the broker too, so they hold across processes.
"""

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol

import structlog
from cachetools import TTLCache
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

EVERYONE = "*"
HOSTS = "hosts"
SEND_QUEUE = 256  # messages a socket may fall behind before it is dropped
TRY_AGAIN_LATER = 1013  # WebSocket close code for a dropped slow consumer
GOING_AWAY = 1001
CLOSE_TIMEOUT = 5.0
VIEWER_TICK = 1.0  # seconds between viewer counts sent to a room (coalesced)
PEAK_WRITE_EVERY = 15.0  # seconds between writes of a room's rising peak to its database
COUNT_FRESH_MS = 5_000  # a process's viewer count older than this is a dead process's

# (window in seconds, most events in it)
Limit = tuple[float, int]


def audience_of(message: Mapping[str, Any]) -> str:
    """`to_shopper` reaches one shopper's sockets, `to_hosts` the host's and moderators'."""
    if message.get("to_shopper") is not None:
        return f"shopper:{message['to_shopper']}"
    if message.get("to_hosts"):
        return HOSTS
    return EVERYONE


def envelope(message: Mapping[str, Any]) -> str:
    return f"{audience_of(message)}\n{json.dumps(message, separators=(',', ':'))}"


# --- the brokers ----------------------------------------------------------------------------


class Receiver(Protocol):
    """What a broker hands messages to: the hub of this process."""

    def deliver(self, room: str, envelope: str) -> None: ...

    def watches(self, room: str) -> bool: ...


class Broker(Protocol):
    async def start(self, receiver: Receiver) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, room: str, envelope: str) -> None: ...

    async def follow(self, room: str) -> None:
        """Hear the room's messages while this process has viewers in it, and only then."""

    async def viewer_totals(self, local: Mapping[str, int]) -> dict[str, int]:
        """Record this process's viewers per room (0: none left) and read every room's total."""

    async def allow(self, key: str, limits: Sequence[Limit]) -> bool:
        """Count one event under `key` unless that would break one of the limits."""


class MemoryBroker:
    """One process: messages go straight to its hub; counts and limits live in memory."""

    def __init__(self) -> None:
        self._receiver: Receiver | None = None
        # each key's recent event times; a key idle for five minutes is forgotten
        self._events: TTLCache[str, list[float]] = TTLCache(maxsize=200_000, ttl=300)

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver

    async def stop(self) -> None:
        self._receiver = None

    async def publish(self, room: str, envelope: str) -> None:
        if self._receiver is not None:
            self._receiver.deliver(room, envelope)

    async def follow(self, room: str) -> None:
        return None

    async def viewer_totals(self, local: Mapping[str, int]) -> dict[str, int]:
        return dict(local)

    async def allow(self, key: str, limits: Sequence[Limit]) -> bool:
        now = time.monotonic()
        longest = max(window for window, _ in limits)
        recent = [t for t in self._events.get(key, ()) if now - t < longest]
        allowed = all(sum(now - t < window for t in recent) < most for window, most in limits)
        if allowed:
            recent.append(now)
        self._events[key] = recent
        return allowed


# A sliding-window log in one sorted set per key, checked and added to atomically, on the
# Redis server's clock (app processes' clocks may differ).
ALLOW_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local longest = 0
for i = 2, #ARGV, 2 do
  local window = tonumber(ARGV[i])
  if window > longest then longest = window end
  if redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), '+inf') >= tonumber(ARGV[i + 1]) then
    return 0
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return 1
"""


class RedisBroker:
    """Several processes: Redis pub/sub for messages, hashes for viewer counts.

    One pub/sub connection per process. It listens on a control channel from the start
    (a pub/sub connection needs one subscription to be read from), and on a room's channel
    while this process has viewers in the room. Each process writes its own viewer count
    of a room, stamped, into the room's hash; the total is the sum of fresh counts, so a
    crashed process's viewers drop out within seconds.
    """

    def __init__(self, url: str, prefix: str) -> None:
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._process = secrets.token_hex(6)
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._followed: set[str] = set()
        self._follow_lock = asyncio.Lock()
        self._receiver: Receiver | None = None
        self._allow = self._redis.register_script(ALLOW_SCRIPT)

    def _channel(self, room: str) -> str:
        return f"{self._prefix}room:{room}"

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(f"{self._prefix}control")
        self._listener = asyncio.create_task(self._listen(self._pubsub))

    async def _listen(self, pubsub: PubSub) -> None:
        room_channel = f"{self._prefix}room:"
        while True:
            try:
                async for message in pubsub.listen():
                    channel = message.get("channel", "")
                    if message["type"] == "message" and channel.startswith(room_channel):
                        self._deliver(channel[len(room_channel) :], message["data"])
            except (RedisError, OSError) as exc:
                # redis-py reconnects and re-subscribes on the next read
                log.warning("live.redis_listen_failed", error=str(exc))
                await asyncio.sleep(1)

    def _deliver(self, room: str, envelope: str) -> None:
        if self._receiver is not None:
            self._receiver.deliver(room, envelope)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            await self._pubsub.aclose()
        await self._redis.aclose()
        self._receiver = None

    async def publish(self, room: str, envelope: str) -> None:
        await self._redis.publish(self._channel(room), envelope)

    async def follow(self, room: str) -> None:
        # Serialised, and decided on the hub's state at the time: a leave and a join racing
        # each other end with the subscription the room needs now.
        async with self._follow_lock:
            wanted = self._receiver is not None and self._receiver.watches(room)
            if self._pubsub is None or wanted == (room in self._followed):
                return
            if wanted:
                await self._pubsub.subscribe(self._channel(room))
                self._followed.add(room)
            else:
                await self._pubsub.unsubscribe(self._channel(room))
                self._followed.discard(room)

    async def viewer_totals(self, local: Mapping[str, int]) -> dict[str, int]:
        if not local:
            return {}
        now_ms = int(time.time() * 1000)
        pipe = self._redis.pipeline(transaction=False)
        for room, count in local.items():
            key = f"{self._prefix}viewers:{room}"
            if count:
                pipe.hset(key, self._process, f"{count}:{now_ms}")
                pipe.pexpire(key, COUNT_FRESH_MS * 6)
            else:
                pipe.hdel(key, self._process)
            pipe.hgetall(key)
        replies = await pipe.execute()
        totals, stale = {}, []
        counts = [r for r in replies if isinstance(r, dict)]
        for room, by_process in zip(local, counts, strict=True):
            totals[room] = 0
            for process, value in by_process.items():
                count, _, stamp = value.partition(":")
                if now_ms - int(stamp) > COUNT_FRESH_MS:
                    stale.append((room, process))
                else:
                    totals[room] += int(count)
        for room, process in stale:
            await self._redis.hdel(f"{self._prefix}viewers:{room}", process)
        return totals

    async def allow(self, key: str, limits: Sequence[Limit]) -> bool:
        args: list[str | int] = [secrets.token_hex(8)]
        for window, most in limits:
            args += [int(window * 1000), most]
        return bool(await self._allow(keys=[f"{self._prefix}rate:{key}"], args=args))


def make_broker(redis_url: str | None, prefix: str) -> Broker:
    return RedisBroker(redis_url, prefix) if redis_url else MemoryBroker()


# --- the sockets of this process ------------------------------------------------------------


class Socket(Protocol):
    """The part of a WebSocket the hub uses (Starlette's WebSocket has it)."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Viewer:
    """One socket in a room. What the hub sends waits in a bounded queue; a writer task
    drains it. When the queue is full the viewer is dropped, not waited for."""

    def __init__(self, socket: Socket, *, shopper_id: int | None = None, host: bool = False):
        self.socket = socket
        self._queue: asyncio.Queue[str] = asyncio.Queue(SEND_QUEUE)
        self._writer: asyncio.Task[None] | None = None
        self.dropped = False
        self.identify(shopper_id=shopper_id, host=host)

    def identify(self, *, shopper_id: int | None, host: bool) -> None:
        """Who is on the socket: the messages addressed to them (to_shopper, to_hosts)."""
        self.host = host
        self._address = f"shopper:{shopper_id}" if shopper_id is not None else None

    def wants(self, audience: str) -> bool:
        if audience == EVERYONE:
            return True
        if audience == HOSTS:
            return self.host
        return audience == self._address

    def offer(self, text: str) -> None:
        if self.dropped:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            log.info("live.slow_viewer_dropped")
            self.drop()

    def drop(self) -> None:
        self.dropped = True
        if self._writer is not None:
            self._writer.cancel()

    async def _write(self) -> None:
        while True:
            await self.socket.send_text(await self._queue.get())

    async def serve(self, read: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Send what the room says while `read` handles what the client says; returns when
        the client leaves, or when it is dropped (then it is closed, 1013 try again later)."""
        self._writer = asyncio.create_task(self._write())
        reader = asyncio.create_task(read())
        try:
            await asyncio.wait({self._writer, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (self._writer, reader):
                task.cancel()
            for task in (self._writer, reader):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.dropped:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(TRY_AGAIN_LATER), CLOSE_TIMEOUT)


PeakRecorder = Callable[[str, int], Awaitable[None]]
TotalsListener = Callable[[Mapping[str, int]], None]  # room -> viewers, every tick


class Hub:
    """This process's live rooms: publish to a room, and the local sockets watching it.

    Viewer counts are sent to a room at most once a tick, only when they changed. A room's
    rising peak is written through `record_peak` at most every PEAK_WRITE_EVERY seconds and
    when its last local viewer leaves, not on every join. `on_totals` hears each tick's
    counts (the feed shows and ranks rooms by them).
    """

    def __init__(
        self,
        broker: Broker,
        record_peak: PeakRecorder | None = None,
        on_totals: TotalsListener | None = None,
    ) -> None:
        self.broker = broker
        self._record_peak = record_peak
        self._on_totals = on_totals
        self._rooms: dict[str, set[Viewer]] = {}
        self._emptied: set[str] = set()
        self._sent: dict[str, int] = {}  # the count each room last heard
        self._peaks: dict[str, tuple[int, int, float]] = {}  # room: (best, written, when)
        self._started = False
        self._start_lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self._start_lock:
            if not self._started:
                await self.broker.start(self)
                self._started = True

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for viewers in list(self._rooms.values()):
            for viewer in list(viewers):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(viewer.socket.close(GOING_AWAY), CLOSE_TIMEOUT)
        await self._flush_peaks(force=True)
        if self._started:
            await self.broker.stop()
            self._started = False

    async def publish(self, room: str, message: dict[str, Any]) -> None:
        """Send to the room on every process. Call it after the change has committed."""
        await self.start()
        await self.broker.publish(room, envelope(message))

    # Receiver
    def deliver(self, room: str, envelope: str) -> None:
        audience, _, text = envelope.partition("\n")
        for viewer in list(self._rooms.get(room, ())):
            if viewer.wants(audience):
                viewer.offer(text)

    def watches(self, room: str) -> bool:
        return room in self._rooms

    @contextlib.asynccontextmanager
    async def watching(self, room: str, viewer: Viewer) -> AsyncIterator[int]:
        """Register the viewer in the room for the block; yields the room's viewer count."""
        await self.start()
        self._rooms.setdefault(room, set()).add(viewer)
        self._emptied.discard(room)
        try:
            await self.broker.follow(room)
            totals = await self.broker.viewer_totals({room: len(self._rooms[room])})
            self._note_peak(room, totals[room])
            self._ensure_ticker()
            yield totals[room]
        finally:
            viewers = self._rooms.get(room, set())
            viewers.discard(viewer)
            if not viewers:
                self._rooms.pop(room, None)
                self._emptied.add(room)
                with contextlib.suppress(Exception):  # the client is gone either way
                    await self.broker.follow(room)

    async def allow(self, key: str, limits: Sequence[Limit]) -> bool:
        await self.start()
        return await self.broker.allow(key, limits)

    # --- viewer counts and peaks -------------------------------------------------------------

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick_while_watched())

    async def _tick_while_watched(self) -> None:
        """Runs while the process has viewers; it stops by itself when the last one leaves."""
        while self._rooms or self._emptied:
            await asyncio.sleep(VIEWER_TICK)
            try:
                await self.tick()
            except Exception:  # a broker hiccup must not stop the counts for good
                log.exception("live.tick_failed")

    async def tick(self) -> None:
        emptied, self._emptied = self._emptied, set()
        local = {room: 0 for room in emptied} | {r: len(v) for r, v in self._rooms.items()}
        totals = await self.broker.viewer_totals(local)
        if self._on_totals is not None:
            self._on_totals(totals)
        for room, total in totals.items():
            self._note_peak(room, total)
            if room in self._rooms and self._sent.get(room) != total:
                self._sent[room] = total
                self.deliver(room, envelope({"type": "viewers", "count": total}))
        for room in emptied - self._rooms.keys():
            self._sent.pop(room, None)
        await self._flush_peaks(force=False, emptied=emptied)

    def _note_peak(self, room: str, total: int) -> None:
        best, written, when = self._peaks.get(room, (0, 0, 0.0))
        self._peaks[room] = (max(best, total), written, when)

    async def _flush_peaks(self, *, force: bool, emptied: set[str] | None = None) -> None:
        now = time.monotonic()
        for room, (best, written, when) in list(self._peaks.items()):
            due = force or room in (emptied or ()) or now - when >= PEAK_WRITE_EVERY
            if best > written and due and self._record_peak is not None:
                try:
                    await self._record_peak(room, best)
                except Exception:
                    log.exception("live.peak_write_failed", room=room)
                    continue
                written, when = best, now
            if room in self._rooms:
                self._peaks[room] = (best, written, when)
            else:
                del self._peaks[room]  # a room that comes back starts from its stored peak
