"""The feed's real-time feature store: the signals the For You ranker reads on every page.

Every feed event updates it within milliseconds: decayed counters per item, shop, host,
category and market (how much engagement something drew lately, over two horizons), plain
counters for the cold-start ladder, a trending board per market, and per viewer the recent
positive interactions ("more like this") and how often each item was already shown; and
what each served page held, for an hour, so the impressions that come back find the
features the ranker saw.

Decay uses the reference-time trick, so an event is one plain increment and every counter
decays together without being rewritten: an amount added at `at` is stored as
amount * 2**((at - epoch) / half_life) and read at `now` as value * 2**(-(now - epoch) /
half_life). To keep the numbers finite the epoch moves on every EPOCH_HALF_LIVES half-lives;
writes go to the current epoch's counters and reads add the previous epoch's (anything
older has decayed by 2**400, to nothing).

Two stores share one interface: `MemoryFeatures` keeps everything in the process for the
embedded, one-process deployment; `RedisFeatures` keeps it in Redis when several app
processes serve the feed.
"""

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Protocol

import numpy as np
from cachetools import TTLCache
from redis.asyncio import Redis

# horizon name: half-life in seconds, in the order of `decayed`'s columns
HALF_LIVES: dict[str, float] = {"now": 15 * 60.0, "week": 3 * 86400.0}
EPOCH_HALF_LIVES = 400  # 2**400 stays far inside a float's range
TRENDING_CAP = 200_000  # entries a market's board keeps
TRENDING_STALE = 1.0  # seconds the memory store reuses a computed top list
HISTORY_CAP = 100  # entries kept per viewer
HISTORY_TTL = 30 * 86400  # seconds a quiet viewer's history is kept
SEEN_CAP = 2000  # distinct items counted per viewer in memory
PAGE_TTL = 3600  # seconds a served page is remembered, so its impressions find their features
SEEN_TTL = 14 * 86400  # seconds a quiet viewer's seen counts are kept
MEMORY_VIEWERS = 200_000  # viewers the memory store keeps histories and seen counts for

History = list[tuple[str, float, float]]  # (item key, weight, at), oldest first
Top = list[tuple[str, float]]


class FeatureStore(Protocol):
    async def add(self, amounts: Mapping[str, float], at: float) -> None:
        """Add each amount to its counter in every horizon of HALF_LIVES."""

    async def decayed(self, keys: Sequence[str], at: float) -> np.ndarray:
        """Counters decayed to `at`: one row per key, one column per horizon; unknown: 0."""

    async def incr(self, amounts: Mapping[str, float]) -> None:
        """Add to counters that never decay."""

    async def totals(self, keys: Sequence[str]) -> np.ndarray: ...

    async def reset(self, keys: Sequence[str]) -> None:
        """Set plain counters back to 0."""

    async def add_trending(self, market: str, amounts: Mapping[str, float], at: float) -> None: ...

    async def trending(self, market: str, k: int, at: float, horizon: str = "now") -> Top:
        """The market's k best (key, score) by score decayed to `at`, best first."""

    async def remember(self, viewer: str, entries: Sequence[tuple[str, float]], at: float) -> None:
        """Append (item key, weight) to the viewer's history; the newest HISTORY_CAP stay."""

    async def recent(self, viewer: str, limit: int = 50) -> History: ...

    async def mark_seen(self, viewer: str, keys: Sequence[str], at: float) -> None:
        """Count one showing of each key to the viewer (`at`: when they were shown)."""

    async def seen(self, viewer: str, keys: Sequence[str]) -> np.ndarray:
        """How many times each key was shown to the viewer."""

    async def keep_page(self, page_id: str, served: str) -> None:
        """Hold what a served page was (an opaque string) for PAGE_TTL seconds."""

    async def served_page(self, page_id: str) -> str | None:
        """The string kept for a page, None once expired or never kept."""

    async def close(self) -> None: ...


def _period(half_life: float) -> float:
    return EPOCH_HALF_LIVES * half_life


def _epoch(at: float, half_life: float) -> int:
    """The number of the epoch `at` falls in."""
    return math.floor(at / _period(half_life))


def _scale(at: float, epoch: int, half_life: float) -> float:
    """2**((at - start of epoch) / half_life): times it to store, divide by it to read."""
    return 2.0 ** ((at - epoch * _period(half_life)) / half_life)


def _merge_tops(tops: Iterable[tuple[Top, float]], k: int) -> Top:
    """Sum each key's stored scores times its board's read factor; the k best, best first.

    Only each board's own top k is read, so for the minutes after an epoch change, while the
    old board still counts, a key just outside both lists may be missed."""
    scores: dict[str, float] = {}
    for top, factor in tops:
        for key, stored in top:
            scores[key] = scores.get(key, 0.0) + stored * factor
    return heapq.nlargest(k, scores.items(), key=itemgetter(1))


def _array(values: Iterable[float]) -> np.ndarray:
    return np.fromiter(values, dtype=np.float64)


class MemoryFeatures:
    """One process: dicts in memory. Trending is at most TRENDING_STALE (1 s) stale."""

    def __init__(self) -> None:
        self._decaying: dict[tuple[str, int], dict[str, float]] = {}  # (horizon, epoch)
        self._totals: dict[str, float] = {}
        self._boards: dict[tuple[str, int], dict[str, float]] = {}  # (market:horizon, epoch)
        self._tops: dict[tuple[str, str, int], tuple[float, Top]] = {}  # (market, horizon, k)
        self._histories: TTLCache[str, deque[tuple[str, float, float]]] = TTLCache(
            maxsize=MEMORY_VIEWERS, ttl=HISTORY_TTL
        )
        self._seen: TTLCache[str, dict[str, int]] = TTLCache(maxsize=MEMORY_VIEWERS, ttl=SEEN_TTL)
        self._pages: TTLCache[str, str] = TTLCache(maxsize=MEMORY_VIEWERS, ttl=PAGE_TTL)

    @staticmethod
    def _current(
        store: dict[tuple[str, int], dict[str, float]], name: str, epoch: int
    ) -> dict[str, float]:
        """The epoch's counters; starting one forgets those two epochs old (decayed away)."""
        counters = store.get((name, epoch))
        if counters is None:
            for old in [key for key in store if key[0] == name and key[1] < epoch - 1]:
                del store[old]
            counters = store[(name, epoch)] = {}
        return counters

    async def add(self, amounts: Mapping[str, float], at: float) -> None:
        for horizon, half_life in HALF_LIVES.items():
            epoch = _epoch(at, half_life)
            counters = self._current(self._decaying, horizon, epoch)
            scale = _scale(at, epoch, half_life)
            for key, amount in amounts.items():
                counters[key] = counters.get(key, 0.0) + amount * scale

    async def decayed(self, keys: Sequence[str], at: float) -> np.ndarray:
        columns = []
        for horizon, half_life in HALF_LIVES.items():
            column = np.zeros(len(keys))
            epoch = _epoch(at, half_life)
            for e in (epoch, epoch - 1):
                counters = self._decaying.get((horizon, e))
                if counters:  # the previous epoch is usually empty: skip a pass over keys
                    stored = _array(counters.get(key, 0.0) for key in keys)
                    column += stored / _scale(at, e, half_life)
            columns.append(column)
        return np.stack(columns, axis=1)

    async def incr(self, amounts: Mapping[str, float]) -> None:
        for key, amount in amounts.items():
            self._totals[key] = self._totals.get(key, 0.0) + amount

    async def totals(self, keys: Sequence[str]) -> np.ndarray:
        return _array(self._totals.get(key, 0.0) for key in keys)

    async def reset(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._totals.pop(key, None)

    async def add_trending(self, market: str, amounts: Mapping[str, float], at: float) -> None:
        for horizon, half_life in HALF_LIVES.items():
            epoch = _epoch(at, half_life)
            name = f"{market}:{horizon}"
            board = self._current(self._boards, name, epoch)
            scale = _scale(at, epoch, half_life)
            for key, amount in amounts.items():
                board[key] = board.get(key, 0.0) + amount * scale
            if len(board) > TRENDING_CAP:
                # uniform decay keeps the order, so the smallest half will not come back soon
                kept = sorted(board.items(), key=itemgetter(1))[len(board) // 2 :]
                self._boards[(name, epoch)] = dict(kept)

    async def trending(self, market: str, k: int, at: float, horizon: str = "now") -> Top:
        half_life = HALF_LIVES[horizon]
        cached = self._tops.get((market, horizon, k))
        if cached is not None and 0 <= at - cached[0] < TRENDING_STALE:
            # the same top, decayed on to `at` (decay never changes the order)
            factor = 2.0 ** (-(at - cached[0]) / half_life)
            return [(key, score * factor) for key, score in cached[1]]
        epoch = _epoch(at, half_life)
        tops = []
        for e in (epoch, epoch - 1):
            board = self._boards.get((f"{market}:{horizon}", e), {})
            top = heapq.nlargest(k, board.items(), key=itemgetter(1))
            tops.append((top, 1 / _scale(at, e, half_life)))
        top = _merge_tops(tops, k)
        self._tops[(market, horizon, k)] = (at, top)
        return top

    async def remember(self, viewer: str, entries: Sequence[tuple[str, float]], at: float) -> None:
        history = self._histories.get(viewer) or deque(maxlen=HISTORY_CAP)
        history.extend((key, weight, at) for key, weight in entries)
        self._histories[viewer] = history  # setting it again restarts its time to live

    async def recent(self, viewer: str, limit: int = 50) -> History:
        history = self._histories.get(viewer, ())
        return list(history)[-limit:] if limit > 0 else []

    async def mark_seen(self, viewer: str, keys: Sequence[str], at: float) -> None:
        counts = self._seen.get(viewer) or {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        if len(counts) > SEEN_CAP:
            # dicts keep insertion order: the first half are the items shown longest ago
            counts = dict(list(counts.items())[len(counts) // 2 :])
        self._seen[viewer] = counts

    async def seen(self, viewer: str, keys: Sequence[str]) -> np.ndarray:
        counts = self._seen.get(viewer, {})
        return _array(counts.get(key, 0) for key in keys)

    async def keep_page(self, page_id: str, served: str) -> None:
        self._pages[page_id] = served

    async def served_page(self, page_id: str) -> str | None:
        return self._pages.get(page_id)

    async def close(self) -> None:
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _floats(values: Sequence[bytes | str | None]) -> np.ndarray:
    return _array(0.0 if value is None else float(value) for value in values)


class RedisFeatures:
    """Several processes: one Redis, under `prefix`. Each call is one round trip.

    Decayed counters: a hash per (horizon, epoch), counter keys as fields. Plain counters:
    one hash. Trending: a sorted set per (market, epoch). Histories: a list per viewer of
    "key weight at" strings. Seen counts: a hash per viewer. Everything but the plain
    counters expires on its own. The store closes the client it is given in `close`.
    """

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _decaying(self, horizon: str, epoch: int) -> str:
        return f"{self._prefix}decay:{horizon}:{epoch}"

    def _board(self, market: str, horizon: str, epoch: int) -> str:
        return f"{self._prefix}trending:{market}:{horizon}:{epoch}"

    async def add(self, amounts: Mapping[str, float], at: float) -> None:
        if not amounts:
            return
        pipe = self._redis.pipeline(transaction=False)
        for horizon, half_life in HALF_LIVES.items():
            epoch = _epoch(at, half_life)
            name = self._decaying(horizon, epoch)
            scale = _scale(at, epoch, half_life)
            for key, amount in amounts.items():
                pipe.hincrbyfloat(name, key, amount * scale)
            # the previous epoch is still read during this one, then it is dead weight
            pipe.expire(name, math.ceil(2 * _period(half_life)))
        await pipe.execute()

    async def decayed(self, keys: Sequence[str], at: float) -> np.ndarray:
        if not keys:
            return np.zeros((0, len(HALF_LIVES)))
        pipe = self._redis.pipeline(transaction=False)
        factors = []
        for horizon, half_life in HALF_LIVES.items():
            epoch = _epoch(at, half_life)
            for e in (epoch, epoch - 1):
                pipe.hmget(self._decaying(horizon, e), list(keys))
                factors.append(1 / _scale(at, e, half_life))
        replies = await pipe.execute()
        parts = [_floats(reply) * factor for reply, factor in zip(replies, factors, strict=True)]
        # replies come as (horizon 1: current, previous), (horizon 2: current, previous), ...
        return np.stack([parts[i] + parts[i + 1] for i in range(0, len(parts), 2)], axis=1)

    async def incr(self, amounts: Mapping[str, float]) -> None:
        if not amounts:
            return
        pipe = self._redis.pipeline(transaction=False)
        for key, amount in amounts.items():
            pipe.hincrbyfloat(f"{self._prefix}totals", key, amount)
        await pipe.execute()

    async def totals(self, keys: Sequence[str]) -> np.ndarray:
        if not keys:
            return np.zeros(0)
        return _floats(await self._redis.hmget(f"{self._prefix}totals", list(keys)))

    async def reset(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.hdel(f"{self._prefix}totals", *keys)

    async def add_trending(self, market: str, amounts: Mapping[str, float], at: float) -> None:
        if not amounts:
            return
        pipe = self._redis.pipeline(transaction=False)
        for horizon, half_life in HALF_LIVES.items():
            epoch = _epoch(at, half_life)
            name = self._board(market, horizon, epoch)
            scale = _scale(at, epoch, half_life)
            for key, amount in amounts.items():
                pipe.zincrby(name, amount * scale, key)
            pipe.zremrangebyrank(name, 0, -TRENDING_CAP - 1)  # keep the best TRENDING_CAP
            pipe.expire(name, math.ceil(2 * _period(half_life)))
        await pipe.execute()

    async def trending(self, market: str, k: int, at: float, horizon: str = "now") -> Top:
        if k <= 0:
            return []
        half_life = HALF_LIVES[horizon]
        epoch = _epoch(at, half_life)
        pipe = self._redis.pipeline(transaction=False)
        for e in (epoch, epoch - 1):
            pipe.zrevrange(self._board(market, horizon, e), 0, k - 1, withscores=True)
        tops = []
        for top, e in zip(await pipe.execute(), (epoch, epoch - 1), strict=True):
            decoded = [(_text(key), score) for key, score in top]
            tops.append((decoded, 1 / _scale(at, e, half_life)))
        return _merge_tops(tops, k)

    async def remember(self, viewer: str, entries: Sequence[tuple[str, float]], at: float) -> None:
        if not entries:
            return
        name = f"{self._prefix}history:{viewer}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.rpush(name, *(f"{key} {weight!r} {at!r}" for key, weight in entries))
        pipe.ltrim(name, -HISTORY_CAP, -1)
        pipe.expire(name, HISTORY_TTL)
        await pipe.execute()

    async def recent(self, viewer: str, limit: int = 50) -> History:
        if limit <= 0:
            return []
        history = []
        for entry in await self._redis.lrange(f"{self._prefix}history:{viewer}", -limit, -1):
            key, weight, at = _text(entry).rsplit(" ", 2)
            history.append((key, float(weight), float(at)))
        return history

    async def mark_seen(self, viewer: str, keys: Sequence[str], at: float) -> None:
        if not keys:
            return
        name = f"{self._prefix}seen:{viewer}"
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hincrby(name, key, 1)
        pipe.expire(name, SEEN_TTL)
        await pipe.execute()

    async def seen(self, viewer: str, keys: Sequence[str]) -> np.ndarray:
        if not keys:
            return np.zeros(0)
        return _floats(await self._redis.hmget(f"{self._prefix}seen:{viewer}", list(keys)))

    async def keep_page(self, page_id: str, served: str) -> None:
        await self._redis.set(f"{self._prefix}page:{page_id}", served, ex=PAGE_TTL)

    async def served_page(self, page_id: str) -> str | None:
        served = await self._redis.get(f"{self._prefix}page:{page_id}")
        return None if served is None else _text(served)

    async def close(self) -> None:
        await self._redis.aclose()


def open_features(redis_url: str | None, prefix: str) -> FeatureStore:
    """The embedded store without a Redis URL, the shared one with it."""
    if redis_url is None:
        return MemoryFeatures()
    return RedisFeatures(Redis.from_url(redis_url), prefix)
