"""The feed's persistence: the event log, follows, stages, the merchant's report, and the
items loaded from content, live and catalog."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

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
from shoptide.feed.models import FeedEvent
from shoptide.live import rooms
from tests import factories
from tests.feed import support
from tests.live import support as live_support
from tests.queries import count_queries

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


def _signal(key: str, action: str, *, at: float = T0, value: float = 0.0, market: str = "US"):
    return Signal("user:1", market, key, action, at, value=value)


# --- the event log ------------------------------------------------------------------------


async def test_signals_come_back_oldest_first_from_the_time_asked(databases):
    later = Signal("visitor:abc", "US", "video:2", WATCH, T0 + 60, value=4200.0)
    shown = Signal("user:12", "US", "video:2", IMPRESSION, T0 + 30, stage=1)
    before = Signal("user:12", "US", "video:1", IMPRESSION, T0 - 3600)
    async with databases.session("main") as s:
        await service.record(
            s,
            [later, shown, before],
            page_id="page-1",
            served={"video:2": service.ServedLog(position=3, source="fresh", features=[0.5, 2.0])},
        )

    async with databases.session("main", write=False) as s:
        replayed = await service.recent_signals(s, since=datetime.fromtimestamp(T0, UTC))
        rows = (await s.scalars(select(FeedEvent).order_by(FeedEvent.at))).all()

    assert replayed == [shown, later]
    impression = next(r for r in rows if r.item_key == "video:2" and r.action == IMPRESSION)
    assert (impression.page_id, impression.position, impression.source) == ("page-1", 3, "fresh")
    assert impression.features == [0.5, 2.0]
    assert impression.at == datetime.fromtimestamp(T0 + 30, UTC)
    watch = next(r for r in rows if r.action == WATCH)
    assert (watch.position, watch.source, watch.features) == (3, "fresh", None)


# --- follows ------------------------------------------------------------------------------


async def test_following_twice_counts_once_and_unfollowing_takes_it_back(databases):
    async with databases.session("main") as s:
        assert await service.follow(s, follower_id=1, host_id=50, market="US") is True
        assert await service.follow(s, follower_id=1, host_id=50, market="US") is False
        assert await service.follow(s, follower_id=1, host_id=51, market="US") is True
        assert await service.follow(s, follower_id=2, host_id=50, market="US") is True

    async with databases.session("main") as s:
        assert await service.followed_hosts(s, follower_id=1) == frozenset({50, 51})
        assert await service.follower_count(s, host_id=50) == 2
        assert await service.unfollow(s, follower_id=1, host_id=50) is True
        assert await service.unfollow(s, follower_id=1, host_id=50) is False
        assert await service.followed_hosts(s, follower_id=1) == frozenset({51})
        assert await service.follower_count(s, host_id=50) == 1


# --- stages -------------------------------------------------------------------------------


def _stage(key: str, stage: int, status: str, at: float, reason: str = "") -> StageChange:
    return StageChange(key, "US", 7, stage, status, reason, at)


async def test_a_stage_saved_again_replaces_the_item_s_earlier_one(databases):
    async with databases.session("main") as s:
        await service.save_stages(
            s, [_stage("video:1", 0, "growing", T0), _stage("video:2", 0, "growing", T0)]
        )
    promoted = _stage("video:1", 1, "growing", T0 + 10, "reached the second pool")
    stopped = _stage("video:2", 0, "stopped", T0 + 20, "few viewers finished it")
    async with databases.session("main") as s:
        await service.save_stages(s, [_stage("video:1", 0, "growing", T0 + 5), promoted, stopped])

    async with databases.session("main", write=False) as s:
        assert await service.load_stages(s) == [promoted, stopped]


# --- the merchant's report ----------------------------------------------------------------


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
        report = await service.item_report(
            s,
            item_keys=["video:1", "video:7"],
            market="US",
            durations={"video:1": 10_000, "video:2": 20_000, "video:4": 5_000},
        )

    first, unseen = report.items
    assert (first.item_key, first.impressions, first.clicks, first.carts) == ("video:1", 20, 2, 1)
    assert (first.purchases, first.purchase_minor, first.completed_watches) == (1, 2500, 2)
    assert first.engaged == 2 + 1 + 1 + 1 + 2  # clicks, cart, like, purchase, completed watches
    assert first.rates == service.Rates(click=0.1, completion=0.1, conversion=0.05)
    assert first.stage == stage
    assert (unseen.item_key, unseen.impressions, unseen.engaged, unseen.stage) == (
        "video:7",
        0,
        0,
        None,
    )
    assert unseen.rates == service.Rates(0.0, 0.0, 0.0)
    assert report.peers == 3  # video:1, video:2, product:3
    assert report.median.click == pytest.approx(0.2)  # of 0.1, 0.2, 0.3
    assert report.median.conversion == pytest.approx(0.05)  # of 0.05, 0, 0.1
    assert report.median.completion == pytest.approx(0.125)  # videos only: 0.1 and 0.15


# --- the items the feed may rank ----------------------------------------------------------


async def test_the_feed_loads_ready_videos_rooms_on_air_and_products_on_sale(databases):
    host = await factories.merchant(databases)
    mug = await factories.product(databases, host, prices={"US": 2400}, title="Mug")
    tee = await factories.product(databases, host, prices={"US": 1500}, stock={"US": 0})
    draft = await factories.product(databases, host, prices={"US": 900}, publish=False)
    british = await factories.product(databases, host, prices={"GB": 800}, stock={"GB": 3})
    beauty = await support.put_in_category(databases, mug.id, "beauty")
    fashion = await support.put_in_category(databases, tee.id, "fashion")
    ready = await support.video(databases, host, product_ids=[mug.id, tee.id], caption="Morning")
    sold_out = await support.video(databases, host, product_ids=[tee.id])
    await support.video(databases, host, product_ids=[mug.id], ready=False)
    await support.video(databases, host, market="ID")
    on_air = await live_support.room(databases)
    coming = await live_support.room(databases, live=False)

    items = {item.key: item for item in await service.load_items(databases, market="US")}

    assert set(items) == {
        f"video:{ready}",
        f"video:{sold_out}",
        f"live:{on_air.id}",
        f"product:{mug.id}",
        f"product:{tee.id}",
        *(f"product:{p.id}" for p in [*on_air.products, *coming.products]),
    }
    video = items[f"video:{ready}"]
    assert (video.host_id, video.shop_id, video.title) == (host.id, host.shop_id, "Morning")
    assert (video.category_id, video.price_minor, video.product_ids) == (
        beauty,
        2400,
        (mug.id, tee.id),
    )
    assert (video.duration_ms, video.sold_out) == (20_000, False)
    assert video.extra == {
        "playlist": f"videos/{ready}/index.m3u8",
        "poster": f"videos/{ready}/poster.jpg",
    }
    assert items[f"video:{sold_out}"].sold_out is True
    room = items[f"live:{on_air.id}"]
    assert (room.live, room.host_id, room.extra["public_name"]) == (
        True,
        on_air.host.id,
        on_air.public_name,
    )
    card = items[f"product:{tee.id}"]
    assert (card.sold_out, card.category_id, card.price_minor) == (True, fashion, 1500)
    assert (card.host_id, card.shop_id) == (host.id, host.shop_id)  # the shop's owner
    assert items[f"product:{mug.id}"].sold_out is False
    assert f"product:{draft.id}" not in items and f"product:{british.id}" not in items


async def test_one_item_loads_as_the_whole_list_gives_it(databases):
    host = await factories.merchant(databases)
    mug = await factories.product(databases, host, prices={"US": 2400})
    ready = await support.video(databases, host, product_ids=[mug.id])
    processing = await support.video(databases, host, ready=False)
    listed = {item.key: item for item in await service.load_items(databases, market="US")}

    assert (
        await service.load_item(databases, f"video:{ready}", market="US")
        == listed[f"video:{ready}"]
    )
    assert (
        await service.load_item(databases, f"product:{mug.id}", market="US")
        == listed[f"product:{mug.id}"]
    )
    assert await service.load_item(databases, f"video:{processing}", market="US") is None
    assert await service.load_item(databases, f"video:{ready}", market="GB") is None


async def test_a_room_that_ended_leaves_the_feed(databases):
    room = await live_support.room(databases, products=1)
    assert await service.load_item(databases, f"live:{room.id}", market="US") is not None
    async with rooms.in_room(databases, room.public_name, write=True) as scope:
        await rooms.end(scope.cell, scope.room)

    assert await service.load_item(databases, f"live:{room.id}", market="US") is None
    assert f"live:{room.id}" not in {i.key for i in await service.load_items(databases)}


async def test_loading_the_feed_runs_the_same_queries_for_one_or_many_items(databases):
    host = await factories.merchant(databases)

    async def add_some() -> None:
        mug = await factories.product(databases, host, prices={"US": 2400}, variants=2)
        await support.video(databases, host, product_ids=[mug.id])
        await live_support.room(databases, products=1)

    await add_some()
    with count_queries(databases) as few:
        assert len(await service.load_items(databases, market="US")) == 4
    for _ in range(4):
        await add_some()
    with count_queries(databases) as many:
        assert len(await service.load_items(databases, market="US")) == 20

    assert len(many) == len(few)
