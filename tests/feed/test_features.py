"""The feed's real-time feature store, the same tests on the embedded (memory) store and on
Redis: decayed counters across epochs, plain counters, trending boards, viewer histories
and seen counts."""

import secrets
from collections.abc import AsyncIterator

import numpy as np
import pytest
import redis.asyncio as redis

from shoptide.feed import features
from shoptide.feed.features import (
    HALF_LIVES,
    FeatureStore,
    MemoryFeatures,
    RedisFeatures,
    open_features,
)

REDIS_URL = "redis://127.0.0.1:6379/15"
NOW = HALF_LIVES["now"]
WEEK = HALF_LIVES["week"]
T = 1_700_000_000.0  # well inside an epoch of both horizons
BOUNDARY = 4723 * 400 * NOW  # the start of a "now" epoch (1_700_280_000)


async def _redis_store() -> RedisFeatures:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.ConnectionError, OSError):
        await client.aclose()
        pytest.skip("no Redis at 127.0.0.1:6379")
    return RedisFeatures(client, f"test:{secrets.token_hex(6)}:")


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[FeatureStore]:
    if request.param == "memory":
        yield MemoryFeatures()
        return
    store = await _redis_store()
    yield store
    client = store._redis
    keys = [key async for key in client.scan_iter(match=f"{store._prefix}*")]
    if keys:
        await client.delete(*keys)
    await store.close()


def _halved(amount: float, seconds: float, half_life: float) -> float:
    return amount * 2 ** (-seconds / half_life)


async def test_counter_halves_per_half_life_in_each_horizon(store: FeatureStore):
    await store.add({"video:1": 4.0, "shop:2": 1.0}, T)
    await store.add({"video:1": 2.0}, T)

    np.testing.assert_allclose(await store.decayed(["video:1", "shop:2"], T), [[6, 6], [1, 1]])
    later = await store.decayed(["video:1"], T + NOW)
    np.testing.assert_allclose(later, [[3.0, _halved(6, NOW, WEEK)]])
    assert later[0, 1] > 5.98  # a week's horizon barely moves in 15 minutes


async def test_counters_sum_across_an_epoch_boundary(store: FeatureStore):
    await store.add({"video:1": 1.0}, BOUNDARY - 10)  # stored near 2**400 times its amount
    np.testing.assert_allclose(await store.decayed(["video:1"], BOUNDARY - 10), [[1.0, 1.0]])
    await store.add({"video:1": 1.0}, BOUNDARY + 10)

    after = await store.decayed(["video:1"], BOUNDARY + 2 * NOW)
    expected = _halved(1, 2 * NOW + 10, NOW) + _halved(1, 2 * NOW - 10, NOW)
    assert after[0, 0] == pytest.approx(expected)
    in_week = _halved(1, 2 * NOW + 10, WEEK) + _halved(1, 2 * NOW - 10, WEEK)
    assert after[0, 1] == pytest.approx(in_week)


async def test_unknown_counters_read_zero(store: FeatureStore):
    await store.add({"video:1": 1.0}, T)

    np.testing.assert_array_equal(await store.decayed(["video:9", "host:3"], T), np.zeros((2, 2)))
    assert (await store.decayed([], T)).shape == (0, 2)
    np.testing.assert_array_equal(await store.totals(["video:9"]), [0.0])
    np.testing.assert_array_equal(await store.seen("ana", ["video:9"]), [0.0])


async def test_plain_counters_add_up_and_reset_to_zero(store: FeatureStore):
    await store.incr({"video:1": 1.0, "video:2": 2.5})
    await store.incr({"video:1": 1.0})
    totals = await store.totals(["video:1", "video:2", "video:3"])
    assert totals.dtype == np.float64
    np.testing.assert_array_equal(totals, [2.0, 2.5, 0.0])

    await store.reset(["video:1"])
    np.testing.assert_array_equal(await store.totals(["video:1", "video:2"]), [0.0, 2.5])
    await store.incr({"video:1": 1.0})  # a promoted item counts its new stage from zero
    np.testing.assert_array_equal(await store.totals(["video:1"]), [1.0])


async def test_trending_is_best_first_with_decayed_scores(store: FeatureStore):
    await store.add_trending("ID", {"video:1": 100.0}, T - 4 * NOW)
    await store.add_trending("ID", {"video:2": 10.0, "live:3": 1.0}, T - 60)
    await store.add_trending("TH", {"video:9": 1000.0}, T)

    top = await store.trending("ID", 2, T)
    assert [key for key, _ in top] == ["video:2", "video:1"]
    assert [score for _, score in top] == pytest.approx([_halved(10, 60, NOW), 6.25])
    assert await store.trending("VN", 5, T) == []


async def test_a_recent_burst_overtakes_an_older_bigger_total(store: FeatureStore):
    await store.add_trending("ID", {"video:1": 100.0}, T - 3600)
    await store.add_trending("ID", {"video:2": 5.0}, T - 3600)
    assert (await store.trending("ID", 1, T - 5))[0][0] == "video:1"

    await store.add_trending("ID", {"video:2": 10.0}, T - 1)

    assert [key for key, _ in await store.trending("ID", 2, T)] == ["video:2", "video:1"]


async def test_trending_sums_a_key_across_an_epoch_boundary(store: FeatureStore):
    await store.add_trending("ID", {"video:1": 1.0, "video:2": 1.5}, BOUNDARY - 10)
    await store.add_trending("ID", {"video:1": 1.0}, BOUNDARY + 10)

    top = await store.trending("ID", 2, BOUNDARY + 20)
    assert top[0][0] == "video:1"
    assert top[0][1] == pytest.approx(_halved(1, 30, NOW) + _halved(1, 10, NOW))
    assert top[1] == ("video:2", pytest.approx(_halved(1.5, 30, NOW)))


async def test_trending_board_is_bounded(store: FeatureStore, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(features, "TRENDING_CAP", 4)
    for rank in range(1, 6):
        await store.add_trending("ID", {f"video:{rank}": float(rank)}, T)

    top = await store.trending("ID", 10, T)
    assert "video:1" not in dict(top)  # the smallest entry was dropped
    assert [key for key, _ in top[:3]] == ["video:5", "video:4", "video:3"]


async def test_memory_trending_is_at_most_a_second_stale():
    store = MemoryFeatures()
    await store.add_trending("ID", {"video:1": 2.0}, T)
    assert await store.trending("ID", 2, T) == [("video:1", pytest.approx(2.0))]

    await store.add_trending("ID", {"video:2": 3.0}, T + 0.5)
    assert [key for key, _ in await store.trending("ID", 2, T + 0.5)] == ["video:1"]
    assert [key for key, _ in await store.trending("ID", 2, T + 1.0)] == ["video:2", "video:1"]


async def test_history_keeps_order_and_only_the_newest(store: FeatureStore):
    await store.remember("ana", [("video:1", 1.0), ("video:2", 0.5)], T)
    await store.remember("ana", [("live:3", 2.0)], T + 1)

    assert await store.recent("ana") == [
        ("video:1", 1.0, T),
        ("video:2", 0.5, T),
        ("live:3", 2.0, T + 1),
    ]
    assert await store.recent("ana", limit=2) == [("video:2", 0.5, T), ("live:3", 2.0, T + 1)]
    assert await store.recent("bo") == []

    await store.remember("bo", [(f"video:{i}", 1.0) for i in range(120)], T)
    history = await store.recent("bo", limit=1000)
    assert [key for key, _, _ in history] == [f"video:{i}" for i in range(20, 120)]


async def test_seen_counts_each_showing_per_viewer(store: FeatureStore):
    await store.mark_seen("ana", ["video:1", "video:2"], T)
    await store.mark_seen("ana", ["video:1"], T + 5)

    seen = await store.seen("ana", ["video:1", "video:2", "video:3"])
    assert seen.dtype == np.float64
    np.testing.assert_array_equal(seen, [2.0, 1.0, 0.0])
    np.testing.assert_array_equal(await store.seen("bo", ["video:1"]), [0.0])


async def test_memory_seen_forgets_the_oldest_half_past_the_cap():
    store = MemoryFeatures()
    await store.mark_seen("ana", [f"video:{i}" for i in range(features.SEEN_CAP)], T)
    await store.mark_seen("ana", ["live:1"], T + 1)

    seen = await store.seen("ana", ["video:0", f"video:{features.SEEN_CAP - 1}", "live:1"])
    np.testing.assert_array_equal(seen, [0.0, 1.0, 1.0])


async def test_open_features_picks_the_store_by_url():
    assert isinstance(open_features(None, "x:"), MemoryFeatures)
    shared = open_features(REDIS_URL, "x:")
    assert isinstance(shared, RedisFeatures)
    await shared.close()


async def test_a_served_page_is_kept_for_its_impressions(store: FeatureStore):
    await store.keep_page("p1", '{"video:1": [0, "trending", [0.5]]}')

    assert await store.served_page("p1") == '{"video:1": [0, "trending", [0.5]]}'
    assert await store.served_page("p2") is None
