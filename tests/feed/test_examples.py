"""Training examples from the event log: labels from the same page, purchases within a
day, and each market's engaged sequences."""

from shoptide.db import utcnow
from shoptide.feed import examples, service, training
from shoptide.feed.items import IMPRESSION, LIKE, PURCHASE, WATCH, FeedItem, Signal
from shoptide.feed.ranking import FEATURES
from tests.feed.training_support import DAY


async def test_labels_come_from_the_same_page_and_purchases_within_a_day(databases):
    t = utcnow().timestamp() - 5 * DAY
    keys = ["video:1", "video:2", "video:3", "video:4", "live:5", "product:6", "product:7"]
    served = {
        key: service.ServedLog(i, "popular", [float(i)] * len(FEATURES))
        for i, key in enumerate(keys)
    }

    def shown(i: int, key: str) -> Signal:
        return Signal("user:1", "US", key, IMPRESSION, t + i)

    def did(key: str, action: str, at: float, value: float = 0.0) -> Signal:
        return Signal("user:1", "US", key, action, at, value=value)

    async with databases.session("main") as session:
        await service.record(
            session,
            [shown(i, key) for i, key in enumerate(keys)]
            + [
                did("video:1", LIKE, t + 30),  # liked on the page: engaged
                did("video:3", WATCH, t + 30, 6_000),  # 60% of 10 s: engaged
                did("video:4", WATCH, t + 30, 4_000),  # 40% of 10 s: not
                did("live:5", WATCH, t + 30, 5_000),  # 5 s of something of unknown length
            ],
            page_id="page-1",
            served=served,
        )
        await service.record(session, [did("video:2", LIKE, t + 60)], page_id="page-2")
        await service.record(session, [did("product:6", PURCHASE, t + 2 * 3600)], page_id="order:1")
        await service.record(session, [did("product:7", PURCHASE, t + 2 * DAY)], page_id="order:2")
        # another viewer's purchase is not this viewer's sale
        other = Signal("user:2", "US", "video:1", PURCHASE, t + 60)
        await service.record(session, [other], page_id="order:3")

    data = await training.load_examples(
        databases,
        durations={("US", "video:3"): 10_000, ("US", "video:4"): 10_000},
        since=utcnow() - training.WINDOW,
    )

    found = data.examples
    assert found.features[:, 0].tolist() == [float(i) for i in range(len(keys))]  # by time
    assert found.engaged.tolist() == [1, 0, 1, 0, 1, 0, 0]
    assert found.bought.tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert data.sequences == {
        "US": [["video:1", "video:3", "live:5", "video:2", "product:6", "product:7"]]
    }


def test_video_lengths_are_kept_per_market_because_ids_repeat_across_cells():
    us = FeedItem("video:3", "video", 3, "US", 1, 1, 1, 100, (), 0.0, duration_ms=10_000)
    gb = FeedItem("video:3", "video", 3, "GB", 2, 2, 1, 100, (), 0.0, duration_ms=60_000)
    card = FeedItem("product:9", "product", 9, "US", 1, 1, 1, 100, (9,), 0.0)

    assert examples.durations_of([us, gb, card]) == {
        ("US", "video:3"): 10_000,
        ("GB", "video:3"): 60_000,
    }
