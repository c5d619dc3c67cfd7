"""The merchant's report over the event log, beside the market's median item."""

from datetime import UTC, datetime

import pytest

from shoptide.feed import report as feed_report
from shoptide.feed import service
from shoptide.feed.items import (
    CART,
    CLICK,
    IMPRESSION,
    LIKE,
    PURCHASE,
    WATCH,
    Signal,
)
from shoptide.feed.ladder import StageChange

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


def _signal(key: str, action: str, *, at: float = T0, value: float = 0.0, market: str = "US"):
    return Signal("user:1", market, key, action, at, value=value)


async def _log(databases, *signals: Signal) -> None:
    async with databases.session("main") as s:
        await service.record(s, list(signals))


def _many(key: str, action: str, n: int, *, value: float = 0.0, market: str = "US"):
    return [_signal(key, action, value=value, market=market) for _ in range(n)]


async def test_the_report_counts_rates_and_compares_with_the_market_median(databases):
    await _log(
        databases,
        # video:1 (10 s): 20 shown, 2 of 4 watches reach half of it, 2 clicks, a cart, a sale
        *_many("video:1", IMPRESSION, 20),
        *[_signal("video:1", WATCH, value=ms) for ms in (6000, 5000, 4999, 1000)],
        *_many("video:1", CLICK, 2),
        _signal("video:1", CART),
        _signal("video:1", LIKE),
        _signal("video:1", PURCHASE, value=2500),
        # video:2 (20 s): 40 shown, 8 clicks, 6 watches of 10 s (complete), no sale
        *_many("video:2", IMPRESSION, 40),
        *_many("video:2", CLICK, 8),
        *_many("video:2", WATCH, 6, value=10_000),
        # product:3: 20 shown, 6 clicks, 2 sales
        *_many("product:3", IMPRESSION, 20),
        *_many("product:3", CLICK, 6),
        *_many("product:3", PURCHASE, 2, value=1000),
        # too few impressions to be a peer, and another market's item
        *_many("video:4", IMPRESSION, 19),
        *_many("video:4", CLICK, 19),
        *_many("video:9", IMPRESSION, 30, market="GB"),
        *_many("video:1", IMPRESSION, 30, market="GB"),
        *_many("video:1", WATCH, 5, value=9000, market="GB"),
    )
    stage = StageChange("video:1", "US", 7, 2, "growing", "reached the third pool", T0)
    async with databases.session("main") as s:
        await service.save_stages(s, [stage])

    async with databases.session("main", write=False) as s:
        report = await feed_report.item_report(
            s,
            item_keys=["video:1", "video:7"],
            market="US",
            durations={"video:1": 10_000, "video:2": 20_000, "video:4": 5_000},
        )

    first, unseen = report.items
    assert (first.item_key, first.impressions, first.clicks, first.carts) == ("video:1", 20, 2, 1)
    assert (first.purchases, first.purchase_minor, first.completed_watches) == (1, 2500, 2)
    assert first.engaged == 2 + 1 + 1 + 1 + 2  # clicks, cart, like, purchase, completed watches
    assert first.rates == feed_report.Rates(click=0.1, completion=0.1, conversion=0.05)
    assert first.stage == stage
    assert (unseen.item_key, unseen.impressions, unseen.engaged, unseen.stage) == (
        "video:7",
        0,
        0,
        None,
    )
    assert unseen.rates == feed_report.Rates(0.0, 0.0, 0.0)
    assert report.peers == 3  # video:1, video:2, product:3
    assert report.median.click == pytest.approx(0.2)  # of 0.1, 0.2, 0.3
    assert report.median.conversion == pytest.approx(0.05)  # of 0.05, 0, 0.1
    assert report.median.completion == pytest.approx(0.125)  # videos only: 0.1 and 0.15
