"""Delivery starts the return window: the order keeps when it arrived and says so in an event."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shoptide.errors import InvalidTransition
from shoptide.events import OutboxEvent
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order
from tests import factories


async def shipped_order(client, databases) -> tuple[factories.Merchant, int]:
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1500}, stock={"US": 5})
    buyer = await factories.shopper(databases)
    order_id = (await factories.buy(client, buyer, item.skus[0])).json()["orders"][0]["id"]
    base = f"/api/v1/seller/orders/US/{order_id}"
    await client.post(f"{base}/confirm", headers=shop.headers)
    shipped = await client.post(f"{base}/ship", headers=shop.headers, json={"tracking_number": "T"})
    assert shipped.status_code == 200
    return shop, order_id


async def delivered_events(databases) -> list[dict]:
    async with databases.session("main", write=False) as s:
        found = await s.scalars(select(OutboxEvent).where(OutboxEvent.type == "OrderDelivered"))
        return [event.payload for event in found]


async def test_delivery_keeps_the_time_and_records_order_delivered(client, databases):
    shop, order_id = await shipped_order(client, databases)
    arrived = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)

    async with databases.session("main") as s:
        order = await orders_service.get(s, order_id)
        await orders_service.deliver(s, order, now=arrived)

    async with databases.session("main", write=False) as s:
        stored = await s.get_one(Order, order_id)
    assert stored.status == "delivered"
    assert stored.delivered_at == arrived
    assert await delivered_events(databases) == [
        {
            "order_id": order_id,
            "shop_id": shop.shop_id,
            "market": "US",
            "delivered_at": "2025-03-04T15:30:00+00:00",
        }
    ]


async def test_the_shop_marking_delivered_starts_the_window_once(client, databases):
    shop, order_id = await shipped_order(client, databases)
    base = f"/api/v1/seller/orders/US/{order_id}"
    before = datetime.now(UTC)

    first = await client.post(f"{base}/deliver", headers=shop.headers)
    again = await client.post(f"{base}/deliver", headers=shop.headers)

    assert first.status_code == 200 and again.status_code == 409
    async with databases.session("main", write=False) as s:
        stored = await s.get_one(Order, order_id)
    assert stored.delivered_at is not None and stored.delivered_at >= before
    assert [e["delivered_at"] for e in await delivered_events(databases)] == [
        stored.delivered_at.isoformat()
    ]


async def test_an_unshipped_order_cannot_be_delivered(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    buyer = await factories.shopper(databases)
    order_id = (await factories.buy(client, buyer, item.skus[0])).json()["orders"][0]["id"]

    async with databases.session("main") as s:
        order = await orders_service.get(s, order_id)
        with pytest.raises(InvalidTransition, match=f"Order #{order_id} is paid; it can't be"):
            await orders_service.deliver(s, order)

    assert await delivered_events(databases) == []
    async with databases.session("main", write=False) as s:
        assert (await s.get_one(Order, order_id)).delivered_at is None
