"""Seller Center → the dashboard and Orders, driven the way a merchant's browser drives them."""

from tests import factories
from tests.orders.support import paid_order
from tests.pages import sign_in_merchant


async def test_another_shops_order_is_not_found_and_cannot_be_moved(client, databases):
    mine = await factories.merchant(databases)
    theirs = await factories.merchant(databases)
    buyer, order_id = await paid_order(client, databases, theirs)
    token = await sign_in_merchant(client, mine.email)

    page = await client.get(f"/seller/orders/US/{order_id}")
    confirm = await client.post(f"/seller/orders/US/{order_id}/confirm", data={"csrf_token": token})
    listing = await client.get("/seller/orders")

    assert page.status_code == 404 and "Ada Shopper" not in page.text
    assert confirm.status_code == 404
    assert f"US-{order_id:06d}" not in listing.text
    shopper_view = await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
    assert shopper_view.json()["status"] == "paid"


async def test_order_in_the_wrong_market_url_is_not_found(client, databases):
    shop = await factories.merchant(databases)
    _, order_id = await paid_order(client, databases, shop)
    await sign_in_merchant(client, shop.email)

    assert (await client.get(f"/seller/orders/GB/{order_id}")).status_code == 404
    assert (await client.get(f"/seller/orders/US/{order_id}")).status_code == 200


async def test_confirm_then_ship_shows_the_tracking_number_to_the_shopper(client, databases):
    shop = await factories.merchant(databases)
    buyer, order_id = await paid_order(client, databases, shop)
    token = await sign_in_merchant(client, shop.email)
    listing = await client.get("/seller/orders?status=paid")
    assert f"/seller/orders/US/{order_id}" in listing.text and "$25.00" in listing.text

    confirmed = await client.post(
        f"/seller/orders/US/{order_id}/confirm", data={"csrf_token": token}
    )
    shipped = await client.post(
        f"/seller/orders/US/{order_id}/ship",
        data={"csrf_token": token, "carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
    )

    assert confirmed.status_code == 303 and shipped.status_code == 303
    seller_view = await client.get(shipped.headers["location"])
    assert 'id="order-status">Shipped<' in seller_view.text
    shopper_view = await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
    assert shopper_view.json()["status"] == "shipped"
    assert shopper_view.json()["tracking_number"] == "1Z999AA10123456784"
    assert shopper_view.json()["carrier"] == "UPS"
    assert "Mark delivered" in seller_view.text

    delivered = await client.post(
        f"/seller/orders/US/{order_id}/deliver", data={"csrf_token": token}
    )
    after = await client.get(delivered.headers["location"])
    assert 'id="order-status">Delivered<' in after.text
    assert "Mark delivered" not in after.text


async def test_shipping_a_cancelled_order_shows_a_clear_error(client, databases):
    shop = await factories.merchant(databases)
    buyer, order_id = await paid_order(client, databases, shop)
    token = await sign_in_merchant(client, shop.email)

    cancelled = await client.post(
        f"/seller/orders/US/{order_id}/cancel",
        data={"csrf_token": token, "reason": "Out of fabric"},
    )
    shipped = await client.post(
        f"/seller/orders/US/{order_id}/ship",
        data={"csrf_token": token, "carrier": "UPS", "tracking_number": "1Z-LATE"},
    )

    assert cancelled.status_code == 303
    assert shipped.status_code == 409
    assert "is cancelled; it can&#39;t be shipped now" in shipped.text
    assert 'value="1Z-LATE"' in shipped.text  # what was typed is still there
    assert 'id="order-status">Cancelled<' in shipped.text
    shopper_view = await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
    assert shopper_view.json()["status"] == "cancelled"
    assert shopper_view.json()["tracking_number"] == ""


async def test_dashboard_counts_orders_from_every_cell(client, databases):
    shop = await factories.merchant(databases, shop_name="Alpha Apparel")
    await paid_order(client, databases, shop, "US")
    await paid_order(client, databases, shop, "ID")  # lives in the "sea" cell
    await sign_in_merchant(client, shop.email)

    dashboard = await client.get("/seller")

    assert 'id="shop-name">Alpha Apparel<' in dashboard.text
    assert 'id="count-paid">2<' in dashboard.text
    assert 'id="count-shipped">0<' in dashboard.text
