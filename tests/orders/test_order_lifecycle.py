from datetime import timedelta

from sqlalchemy import select

from shoptide.inventory.models import Stock
from shoptide.orders.models import Order
from shoptide.payments.models import Refund
from tests import factories


async def _paid_order(client, databases, quantity=2):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1500}, stock={"US": 5})
    buyer = await factories.shopper(databases)
    body = (await factories.buy(client, buyer, item.skus[0], quantity=quantity)).json()
    return shop, buyer, body["orders"][0]


async def test_merchant_confirms_and_ships_and_the_shopper_sees_the_history(client, databases):
    shop, buyer, order = await _paid_order(client, databases)
    base = f"/api/v1/seller/orders/US/{order['id']}"

    assert (await client.post(f"{base}/confirm", headers=shop.headers)).status_code == 200
    shipped = await client.post(
        f"{base}/ship",
        headers=shop.headers,
        json={"carrier": "USPS", "tracking_number": "9400 1000 0000"},
    )
    assert shipped.status_code == 200

    seen = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    delivered = await client.post(f"{base}/deliver", headers=shop.headers)

    assert seen["status"] == "shipped"
    assert seen["tracking_number"] == "9400 1000 0000"
    assert delivered.json()["status"] == "delivered"
    assert [h["to_status"] for h in delivered.json()["history"]] == [
        "pending_payment",
        "paid",
        "confirmed",
        "shipped",
        "delivered",
    ]


async def test_shipping_twice_is_a_conflict_with_a_message(client, databases):
    shop, _, order = await _paid_order(client, databases)
    base = f"/api/v1/seller/orders/US/{order['id']}"
    await client.post(f"{base}/confirm", headers=shop.headers)
    await client.post(f"{base}/ship", headers=shop.headers, json={"tracking_number": "T1"})

    again = await client.post(f"{base}/confirm", headers=shop.headers)

    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "invalid_transition",
        "message": f"Order #{order['id']} is shipped; it can't be confirmed now.",
    }


async def test_cancelling_a_paid_order_restocks_and_refunds_once(client, app, databases):
    shop, buyer, order = await _paid_order(client, databases, quantity=2)

    cancelled = await client.post(
        f"/api/v1/seller/orders/US/{order['id']}/cancel",
        headers=shop.headers,
        json={"reason": "Out of this colour"},
    )
    assert cancelled.status_code == 200
    await app.state.dispatcher.run_once()
    await app.state.dispatcher.run_once()  # a second pass must not refund again

    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 5
        refunds = list(await s.scalars(select(Refund)))
    assert [(r.order_id, r.amount_minor) for r in refunds] == [(order["id"], 3000)]
    seen = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert seen["status"] == "cancelled"
    assert seen["refund"]["display"] == "$30.00"


async def test_lists_show_the_newest_orders_first_whatever_their_ids(client, databases):
    shop, buyer, first = await _paid_order(client, databases)
    item = await factories.product(databases, shop, stock={"US": 3})
    second = (await factories.buy(client, buyer, item.skus[0])).json()["orders"][0]
    async with databases.session("main") as s:  # the first order placed later, e.g. imported
        (await s.get(Order, first["id"])).created_at += timedelta(days=1)

    mine = (await client.get("/api/v1/orders", headers=buyer.headers)).json()
    shops = (await client.get("/api/v1/seller/orders", headers=shop.headers)).json()

    assert [o["id"] for o in mine] == [first["id"], second["id"]]
    assert [o["id"] for o in shops] == [first["id"], second["id"]]


async def test_a_shop_pages_through_its_orders_from_every_market(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(
        databases, shop, prices={"US": 500, "ID": 50000}, stock={"US": 9, "ID": 9}
    )
    placed = []
    for market in ("US", "ID", "US"):  # ids repeat across cells: US #1, ID #1, US #2
        buyer = await factories.shopper(databases, market)
        placed.append((await factories.buy(client, buyer, item.skus[0])).json()["orders"][0])

    first = (
        await client.get("/api/v1/seller/orders", params={"limit": 2}, headers=shop.headers)
    ).json()
    rest = (
        await client.get(
            "/api/v1/seller/orders",
            params={"limit": 2, "before": first[-1]["created_at"]},
            headers=shop.headers,
        )
    ).json()

    newest_first = [o["number"] for o in reversed(placed)]
    assert [o["number"] for o in first + rest] == newest_first
    assert len(first) == 2 and len(rest) == 1
