"""The feed hears other domains' events: a paid order becomes purchase signals (once, however
often it is delivered), new videos and rooms on air join the engine's catalog."""

import time

import pytest
from sqlalchemy import select

from shoptide.events import Delivery, Dispatcher, HandlerRegistry, OutboxEvent
from shoptide.feed import handlers, service
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.items import PURCHASE
from shoptide.feed.models import FeedEvent
from shoptide.live import flows as live_flows
from shoptide.live import rooms
from tests import factories
from tests.feed import support
from tests.live import support as live_support


def _wired(databases) -> tuple[FeedEngine, Dispatcher, HandlerRegistry]:
    engine = FeedEngine(MemoryFeatures())
    registry = HandlerRegistry()
    handlers.register(registry, databases, lambda: engine)
    return engine, Dispatcher(databases, registry), registry


async def _buy_from_video(client, shopper, sku: str, video_id: int) -> None:
    added = await client.post(
        "/api/v1/cart/items",
        json={"sku": sku, "quantity": 1, "video_id": video_id},
        headers=shopper.headers,
    )
    assert added.status_code == 200, added.text
    paid = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**shopper.headers, "Idempotency-Key": f"feed-order-{video_id:04d}"},
    )
    assert paid.status_code in (200, 201), paid.text


async def _purchase_rows(databases) -> list[tuple[str, float, str]]:
    async with databases.session("main", write=False) as s:
        rows = await s.execute(
            select(FeedEvent.item_key, FeedEvent.value, FeedEvent.viewer)
            .where(FeedEvent.action == PURCHASE)
            .order_by(FeedEvent.id)
        )
        return [tuple(row) for row in rows]


async def test_an_order_paid_from_a_video_is_credited_to_the_video_once(client, databases):
    host = await factories.merchant(databases)
    mug = await factories.product(databases, host, prices={"US": 2400})
    video_id = await support.video(databases, host, product_ids=[mug.id])
    shopper = await factories.shopper(databases)
    await _buy_from_video(client, shopper, mug.skus[0], video_id)
    engine, dispatcher, registry = _wired(databases)

    await dispatcher.run_once()

    video_key = f"video:{video_id}"
    logged = await _purchase_rows(databases)
    assert logged == [
        (video_key, 2400.0, f"user:{shopper.id}"),
        (f"product:{mug.id}", 0.0, f"user:{shopper.id}"),
    ]
    # the engine heard it: the video leads the market's trending board
    trending = await engine.features.trending("US", 5, time.time())
    assert trending[0][0] == video_key
    async with databases.session("main", write=False) as s:  # the new video's starter stage
        assert [(c.item_key, c.stage, c.status) for c in await service.load_stages(s)] == [
            (video_key, 0, "growing")
        ]

    # the same event delivered again (a dispatcher that died before recording the delivery)
    async with databases.session("main", write=False) as s:
        event = await s.scalar(select(OutboxEvent).where(OutboxEvent.type == "OrderPaid"))
    again = Delivery(event.id, event.type, dict(event.payload), "main")
    await registry.for_type("OrderPaid")["feed.credit_purchase"](again)

    assert await _purchase_rows(databases) == logged
    heat = await engine.features.trending("US", 5, time.time())
    assert [key for key, _ in heat] == [video_key]
    assert heat[0][1] == pytest.approx(trending[0][1], rel=1e-3)  # not warmed twice


async def test_a_published_video_joins_the_catalog_and_a_room_goes_on_and_off_air(databases):
    host = await factories.merchant(databases)
    mug = await factories.product(databases, host, prices={"US": 2400})
    video_id = await support.video(databases, host, product_ids=[mug.id])
    room = await live_support.room(databases, products=1)
    engine, dispatcher, _ = _wired(databases)

    await dispatcher.run_once()

    video = engine.catalog.get("US", f"video:{video_id}")
    assert video is not None and (video.price_minor, video.product_ids) == (2400, (mug.id,))
    on_air = engine.catalog.get("US", f"live:{room.id}")
    assert on_air is not None and on_air.live
    assert engine.ladder.stage_of("US", video.key) == 0

    async with live_flows.in_room(databases, room.public_name, write=True) as scope:
        await rooms.end(scope.cell, scope.room)
    await dispatcher.run_once()

    assert engine.catalog.get("US", f"live:{room.id}") is None
