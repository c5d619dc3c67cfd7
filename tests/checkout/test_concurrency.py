"""Competing buyers for real: many checkouts at once against one SKU."""

import asyncio

from sqlalchemy import func, select

from shoptide.checkout.models import Checkout
from shoptide.inventory.models import Reservation, Stock
from shoptide.orders.models import Order, OrderLine
from tests import factories

BUYERS = 200
STOCK = 50


async def test_200_buyers_for_50_units_get_exactly_50_paid_orders(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": STOCK})
    buyers = await asyncio.gather(*(factories.shopper(databases) for _ in range(BUYERS)))
    for buyer in buyers:  # every cart holds one unit; the race is at checkout
        added = await client.post(
            "/api/v1/cart/items", json={"sku": item.skus[0], "quantity": 1}, headers=buyer.headers
        )
        assert added.status_code == 200

    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/checkout",
                json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
                headers={**buyer.headers, "Idempotency-Key": f"race-{buyer.id:06d}"},
            )
            for buyer in buyers
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == STOCK
    assert statuses.count(409) == BUYERS - STOCK
    assert all(
        "left in stock" in r.json()["error"]["message"] for r in responses if r.status_code == 409
    )
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 0
        assert (
            await s.scalar(select(func.count()).select_from(Order).where(Order.status == "paid"))
            == STOCK
        )
        assert await s.scalar(select(func.sum(OrderLine.quantity))) == STOCK
        assert await s.scalar(select(func.count()).select_from(Checkout)) == STOCK
        assert await s.scalar(select(func.count()).select_from(Reservation)) == 0
