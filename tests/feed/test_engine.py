"""The For You engine end to end in memory: a new shopper's first feed, how it adapts,
real-time reaction to sales, new content's exploration slots, followed hosts."""

import numpy as np
import pytest

from shoptide.feed.candidates import EmbeddedItems
from shoptide.feed.engine import EXPLORE, FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.items import CART, CLICK, IMPRESSION, LIKE, PURCHASE, FeedItem
from shoptide.feed.ladder import StageChange
from tests.feed.items_factory import T0, make_item, signal

CATEGORIES = (1, 2, 3, 4)


@pytest.fixture
def engine() -> FeedEngine:
    return FeedEngine(MemoryFeatures(), rng=np.random.default_rng(3))


def _shelf(engine: FeedEngine) -> dict[int, list[FeedItem]]:
    """Eight products in each of four categories, from eight shops."""
    shelf: dict[int, list[FeedItem]] = {}
    for category in CATEGORIES:
        shelf[category] = [make_item(shop=i, category=category) for i in range(8)]
        for item in shelf[category]:
            engine.add_item(item, T0)
    return shelf


async def _crowd(engine: FeedEngine, items: list[FeedItem], *, shown: int, clicked: int) -> None:
    """Other shoppers were shown these items, and some clicked."""
    await engine.observe(
        [
            signal(item, action, viewer=f"user:{900 + n}")
            for item in items
            for n in range(shown)
            for action in ((IMPRESSION, CLICK) if n < clicked else (IMPRESSION,))
        ]
    )


def _all(shelf: dict[int, list[FeedItem]]) -> list[FeedItem]:
    return [item for items in shelf.values() for item in items]


async def test_a_new_shopper_gets_popular_items_from_every_category(engine: FeedEngine) -> None:
    shelf = _shelf(engine)
    await _crowd(engine, _all(shelf), shown=20, clicked=2)
    await _crowd(engine, shelf[1], shown=0, clicked=0)
    await engine.observe(  # aisle 1 is by far the most popular
        [signal(item, CLICK, viewer=f"user:{800 + n}") for item in shelf[1] for n in range(12)]
    )

    page = await engine.page("user:1", "US", at=T0 + 1)

    assert len(page) == 10
    assert {served.item.category_id for served in page} == set(CATEGORIES)
    assert page[0].item in shelf[1]


async def test_the_feed_adapts_after_a_few_interactions(engine: FeedEngine) -> None:
    shelf = _shelf(engine)
    await _crowd(engine, _all(shelf), shown=20, clicked=4)
    before = await engine.page("user:1", "US", at=T0 + 1)

    chosen = [item for item in shelf[3][:3]]  # the shopper likes and carts three from aisle 3
    await engine.observe(
        [signal(item, action, at=T0 + 2) for item in chosen for action in (IMPRESSION, LIKE, CART)]
    )
    after = await engine.page("user:1", "US", at=T0 + 3)

    def aisle_3(page: list) -> int:  # type: ignore[type-arg]
        return sum(served.item.category_id == 3 for served in page[:5])

    assert aisle_3(after) >= 3 > aisle_3(before) + 1
    assert not {served.item.key for served in after[:5]} & {item.key for item in chosen}


async def test_a_burst_of_purchases_moves_an_item_up_without_retraining(engine: FeedEngine) -> None:
    shelf = _shelf(engine)
    await _crowd(engine, _all(shelf), shown=20, clicked=4)
    quiet = shelf[2][5]
    ranker = engine.ranker

    def position(page: list) -> int:  # type: ignore[type-arg]
        keys = [served.item.key for served in page]
        return keys.index(quiet.key) if quiet.key in keys else len(keys)

    before = position(await engine.page("user:1", "US", at=T0 + 10, size=30))
    await engine.observe(
        [
            signal(quiet, PURCHASE, viewer=f"user:{500 + n}", at=T0 + 20, value=2_000)
            for n in range(8)
        ]
    )
    after = position(await engine.page("user:2", "US", at=T0 + 21, size=30))

    assert engine.ranker is ranker
    assert after == 0 < before


async def test_new_videos_get_exploration_slots_until_the_viewer_has_seen_them(
    engine: FeedEngine,
) -> None:
    _shelf(engine)
    new_video = make_item("video", age=0.0)
    engine.add_item(new_video, T0)

    first = await engine.page("user:1", "US", at=T0 + 1)
    explored = [served for served in first if served.source == EXPLORE]
    await engine.observe([signal(served.item, IMPRESSION, at=T0 + 2) for served in first])
    second = await engine.page("user:1", "US", at=T0 + 3)

    assert [served.item for served in explored] == [new_video]
    assert explored[0].stage == 0
    assert new_video.key not in {served.item.key for served in second}


async def test_content_that_stopped_growing_still_reaches_followers(engine: FeedEngine) -> None:
    shelf = _shelf(engine)
    await _crowd(engine, _all(shelf), shown=20, clicked=4)
    followed_video = make_item("video", shop=42, age=60.0)
    engine.add_item(followed_video, T0)
    engine.ladder.restore(
        [StageChange(followed_video.key, "US", 42, 0, "stopped", "few engaged", T0)]
    )

    stranger = await engine.page("user:8", "US", at=T0 + 1, size=10)
    follower = await engine.page("user:9", "US", at=T0 + 1, size=10, followed=frozenset({142}))

    assert any(s.item == followed_video and s.source == "following" for s in follower)
    assert followed_video.key not in {s.item.key for s in stranger}


async def test_items_liked_by_the_same_people_come_from_the_embedding_source(
    engine: FeedEngine,
) -> None:
    shelf = _shelf(engine)
    items = _all(shelf)
    # crowds: one likes the even items, the other the odd ones; nothing else links them
    crowds = [[item.key for item in items[parity::2]] for parity in (0, 1)]
    engine.embedded["US"] = EmbeddedItems.fit([crowd for crowd in crowds for _ in range(50)])
    liked = items[0]
    await engine.observe([signal(liked, action, at=T0) for action in (IMPRESSION, LIKE)])

    page = await engine.page("user:1", "US", at=T0 + 1, size=10)

    from_embedding = [s.item for s in page if s.source == "embedding"]
    same_crowd = [item for item in from_embedding if items.index(item) % 2 == 0]
    assert len(same_crowd) > len(from_embedding) / 2  # mostly the liked item's crowd


async def test_live_rooms_show_and_rank_by_the_viewers_the_hub_counts(engine: FeedEngine) -> None:
    _shelf(engine)
    quiet = make_item("live", shop=50, live=True, extra={"public_name": "us-quiet00000"})
    busy = make_item("live", shop=51, live=True, extra={"public_name": "us-busy000000"})
    for room in (quiet, busy):
        engine.add_item(room, T0)
        engine.ladder.restore([StageChange(room.key, "US", room.shop_id, 3, "open", "", T0)])

    engine.catalog.set_viewers({"us-busy000000": 120, "us-quiet00000": 3, "us-gone0000000": 9})
    page = await engine.page("user:1", "US", at=T0 + 1, size=10)

    shown = {s.item.key: s.item.viewers for s in page if s.item.kind == "live"}
    assert shown == {busy.key: 120, quiet.key: 3}
    keys = [s.item.key for s in page]
    assert keys.index(busy.key) < keys.index(quiet.key)


async def test_content_taken_down_leaves_the_exploration_slots(engine: FeedEngine) -> None:
    shelf = _shelf(engine)
    kept, taken_down = make_item("video", age=0.0), make_item("video", age=0.0)
    for video in (kept, taken_down):
        engine.add_item(video, T0)

    engine.reload([*_all(shelf), kept], T0 + 60)  # the databases no longer hold it

    assert await engine.ladder.explore("US", T0 + 61, limit=10) == [kept.key]
