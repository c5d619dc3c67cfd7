from sqlalchemy import func, select

from shoptide.checkout.models import CartLine
from shoptide.inventory.models import Stock
from shoptide.orders.models import Order
from tests import factories


async def stock_left(databases, market: str) -> list[int]:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        return list(
            await s.scalars(
                select(Stock.available).where(Stock.market_code == market).order_by(Stock.id)
            )
        )


async def cart_size(databases, account) -> int:
    async with databases.session(account.cell, write=False) as s:
        return (
            await s.scalar(
                select(func.count()).select_from(CartLine).where(CartLine.shopper_id == account.id)
            )
            or 0
        )


async def test_paid_checkout_takes_stock_and_empties_cart(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 2500}, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")

    response = await factories.buy(client, buyer, item.skus[0], quantity=2)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "paid"
    assert body["total"]["amount_minor"] == 5000
    assert body["total"]["display"] == "$50.00"
    assert [o["status"] for o in body["orders"]] == ["paid"]
    assert await stock_left(databases, "US") == [3]
    assert await cart_size(databases, buyer) == 0


async def test_declined_card_keeps_cart_and_stock(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")

    response = await factories.buy(client, buyer, item.skus[0], quantity=2, card="4000000000000002")

    assert response.status_code == 402
    assert "declined" in response.json()["error"]["message"]
    assert await stock_left(databases, "US") == [5]
    assert await cart_size(databases, buyer) == 1


async def test_card_needing_a_retry_is_paid_after_retrying(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")

    response = await factories.buy(client, buyer, item.skus[0], card="4000000000000119")

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "paid"


async def test_same_idempotency_key_returns_the_same_order(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")

    first = await factories.buy(client, buyer, item.skus[0], key="same-key-123")
    second = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**buyer.headers, "Idempotency-Key": "same-key-123"},
    )

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["orders"][0]["id"] == first.json()["orders"][0]["id"]
    assert await stock_left(databases, "US") == [4]


async def test_indonesian_order_is_written_only_to_the_sea_cell(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"ID": 150000}, stock={"ID": 3})
    buyer = await factories.shopper(databases, "ID")

    response = await factories.buy(client, buyer, item.skus[0])

    assert response.status_code == 201, response.text
    assert response.json()["total"]["display"] == "Rp150.000"
    counts = {}
    for cell in ("main", "sea"):
        async with databases.session(cell, write=False) as s:
            counts[cell] = await s.scalar(select(func.count()).select_from(Order))
    if databases.url("main") != databases.url("sea"):
        assert counts == {"main": 0, "sea": 1}
