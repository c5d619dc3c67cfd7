"""The feed reacting to other domains' committed events: purchases become signals (logged
once, then heard by the engine), new videos and rooms on air join the engine's catalog."""

from collections.abc import Callable, Mapping
from typing import Any

from shoptide.db import Databases, utcnow
from shoptide.events import (
    Delivery,
    HandlerRegistry,
    LiveRoomEnded,
    LiveRoomStarted,
    OrderPaid,
    VideoPublished,
)
from shoptide.feed import service, serving
from shoptide.feed.engine import FeedEngine
from shoptide.feed.items import PURCHASE, Signal, item_key

SOURCE_KINDS = ("video", "live")


def purchase_signals(paid: Mapping[str, Any], *, at: float) -> list[Signal]:
    """An OrderPaid payload as purchase signals: the order's amount credited to the video or
    room it started from, and each product bought with no amount (already credited). An
    order that started nowhere credits its amount to its first product."""
    viewer = f"user:{paid['shopper_id']}"
    market = paid["market"]
    total = float(paid["total_minor"])
    signals = []
    if paid.get("source_kind") in SOURCE_KINDS and paid.get("source_id") is not None:
        source = item_key(paid["source_kind"], int(paid["source_id"]))
        signals.append(Signal(viewer, market, source, PURCHASE, at, value=total))
        total = 0.0
    for product_id in dict.fromkeys(int(line[0]) for line in paid.get("items", ())):
        signals.append(
            Signal(viewer, market, item_key("product", product_id), PURCHASE, at, value=total)
        )
        total = 0.0
    return signals


def register(
    registry: HandlerRegistry, databases: Databases, engine_of: Callable[[], FeedEngine]
) -> None:
    """`engine_of` gives the app's engine when an event arrives."""

    async def add_item(key: str, market: str) -> None:
        """A new or changed item joins the catalog; new content's stage is saved."""
        item = await serving.load_item(databases, key, market=market)
        if item is None:  # gone again already (taken down, room ended): nothing to rank
            return
        change = engine_of().add_item(item, utcnow().timestamp())
        cell = databases.settings.cell_of_market(market)
        await serving.save_changes(databases, cell, [change] if change else [])

    async def credit_purchase(delivery: Delivery) -> None:
        """Log the order's purchase signals once, then let the engine hear them (after the
        commit); stage changes it decides are saved in a second, short transaction."""
        paid = delivery.payload
        if paid.get("shopper_id") is None:  # an event written before OrderPaid named buyers
            return
        signals = purchase_signals(paid, at=utcnow().timestamp())
        if not signals:
            return
        cell = databases.settings.cell_of_market(paid["market"])
        async with databases.session(cell) as session:
            logged = await service.record_order(session, signals, order_id=int(paid["order_id"]))
        if not logged:  # delivered again: the engine heard it, or replays it from the log
            return
        await serving.save_changes(databases, cell, await engine_of().observe(signals))

    async def add_video(delivery: Delivery) -> None:
        payload = delivery.payload
        await add_item(item_key("video", int(payload["video_id"])), payload["market"])

    async def room_on_air(delivery: Delivery) -> None:
        payload = delivery.payload
        await add_item(item_key("live", int(payload["room_id"])), payload["market"])

    async def room_off_air(delivery: Delivery) -> None:
        payload = delivery.payload
        key = item_key("live", int(payload["room_id"]))
        engine_of().catalog.set_live(payload["market"], key, False)

    registry.register(OrderPaid, "feed.credit_purchase", credit_purchase)
    registry.register(VideoPublished, "feed.add_video", add_video)
    registry.register(LiveRoomStarted, "feed.room_on_air", room_on_air)
    registry.register(LiveRoomEnded, "feed.room_off_air", room_off_air)
