"""The items the feed may rank, loaded from content, live and catalog."""

from datetime import UTC, datetime

from shoptide.feed import serving
from shoptide.feed.items import (
    Signal,
)
from shoptide.live import flows as live_flows
from shoptide.live import rooms
from tests import factories
from tests.feed import support
from tests.live import support as live_support
from tests.queries import count_queries

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


def _signal(key: str, action: str, *, at: float = T0, value: float = 0.0, market: str = "US"):
    return Signal("user:1", market, key, action, at, value=value)


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

    items = {item.key: item for item in await serving.load_items(databases, market="US")}

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
    listed = {item.key: item for item in await serving.load_items(databases, market="US")}

    assert (
        await serving.load_item(databases, f"video:{ready}", market="US")
        == listed[f"video:{ready}"]
    )
    assert (
        await serving.load_item(databases, f"product:{mug.id}", market="US")
        == listed[f"product:{mug.id}"]
    )
    assert await serving.load_item(databases, f"video:{processing}", market="US") is None
    assert await serving.load_item(databases, f"video:{ready}", market="GB") is None


async def test_a_room_that_ended_leaves_the_feed(databases):
    room = await live_support.room(databases, products=1)
    assert await serving.load_item(databases, f"live:{room.id}", market="US") is not None
    async with live_flows.in_room(databases, room.public_name, write=True) as scope:
        await rooms.end(scope.cell, scope.room)

    assert await serving.load_item(databases, f"live:{room.id}", market="US") is None
    assert f"live:{room.id}" not in {i.key for i in await serving.load_items(databases)}


async def test_loading_the_feed_runs_the_same_queries_for_one_or_many_items(databases):
    host = await factories.merchant(databases)

    async def add_some() -> None:
        mug = await factories.product(databases, host, prices={"US": 2400}, variants=2)
        await support.video(databases, host, product_ids=[mug.id])
        await live_support.room(databases, products=1)

    await add_some()
    with count_queries(databases) as few:
        assert len(await serving.load_items(databases, market="US")) == 4
    for _ in range(4):
        await add_some()
    with count_queries(databases) as many:
        assert len(await serving.load_items(databases, market="US")) == 20

    assert len(many) == len(few)
