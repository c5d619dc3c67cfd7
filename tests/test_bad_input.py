"""Bad input gets a 4xx with the stable error body and a message a person can act on, and
leaves the database as it was: no product, cart line, checkout or order written, no stock
moved."""

import httpx
import pytest
from sqlalchemy import func, select

from shoptide.accounts.models import Address
from shoptide.catalog.models import Listing, Product, Variant
from shoptide.checkout.models import CartLine, Checkout
from shoptide.db import Databases
from shoptide.events import OutboxEvent
from shoptide.inventory.models import Reservation, Stock
from shoptide.orders.models import Order, OrderStatusChange
from shoptide.payments.models import Payment
from shoptide.settings import GLOBAL_CELL
from tests import factories

CARD = "4242424242424242"


async def snapshot(databases: Databases) -> dict[str, object]:
    """Row counts of everything a request could write, and every stock level."""
    state: dict[str, object] = {}
    async with databases.session(GLOBAL_CELL, write=False) as s:
        for model in (Product, Variant, Listing):
            state[model.__name__] = await s.scalar(select(func.count()).select_from(model))
    for cell in databases.settings.cells:
        async with databases.session(cell, write=False) as s:
            for model in (
                Address,
                CartLine,
                Checkout,
                Order,
                OrderStatusChange,
                Payment,
                Reservation,
                OutboxEvent,
            ):
                key = f"{cell}.{model.__name__}"
                state[key] = await s.scalar(select(func.count()).select_from(model))
            state[f"{cell}.stock"] = sorted(
                (r.variant_id, r.market_code, r.available) for r in await s.scalars(select(Stock))
            )
    return state


def error_message(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    return error["message"]


async def refused_raw_json(
    client: httpx.AsyncClient,
    databases: Databases,
    url: str,
    body: str | bytes,
    headers: dict[str, str],
) -> str:
    """POST a body as raw JSON bytes: the 422's message, once checked nothing was written."""
    before = await snapshot(databases)
    response = await client.post(
        url, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    message = error_message(response, 422, "invalid_input")
    assert await snapshot(databases) == before
    return message


def product_body(sku: str = "TEE-RED-M", **price: str) -> dict[str, object]:
    return {
        "title": "Plain Tee",
        "category": "fashion",
        "variants": [
            {
                "sku": sku,
                "size": "M",
                "prices": [{"market": "US", "amount": "12.50", "currency": "USD", **price}],
                "stock": {price.get("market", "US"): 5},
            }
        ],
    }


async def add(client: httpx.AsyncClient, buyer: factories.Account, sku: str, quantity: int):
    return await client.post(
        "/api/v1/cart/items", json={"sku": sku, "quantity": quantity}, headers=buyer.headers
    )


async def checkout(client: httpx.AsyncClient, buyer: factories.Account, **overrides: object):
    body = {"address": factories.ADDRESS, "card_number": CARD, **overrides}
    return await client.post(
        "/api/v1/checkout", json=body, headers={**buyer.headers, "Idempotency-Key": "key-0000001"}
    )


# --- cart ---------------------------------------------------------------------------------


async def test_unknown_sku_is_not_added_to_the_cart(client, databases):
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await add(client, buyer, "NO-SUCH-SKU", 1)

    assert "NO-SUCH-SKU" in error_message(response, 404, "not_found")
    assert await snapshot(databases) == before


@pytest.mark.parametrize("quantity", [0, -1, 10**9])
async def test_out_of_range_quantity_is_refused(client, databases, quantity):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await add(client, buyer, item.skus[0], quantity)

    assert "quantity" in error_message(response, 422, "invalid_input")
    assert await snapshot(databases) == before


async def test_adding_more_than_is_in_stock_is_a_conflict(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 3}, title="Wool Hat")
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await add(client, buyer, item.skus[0], 4)

    assert error_message(response, 409, "out_of_stock").startswith("Only 3 of Wool Hat")
    assert await snapshot(databases) == before


async def test_topping_up_a_cart_line_past_stock_keeps_the_line_as_it_was(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 3})
    buyer = await factories.shopper(databases, "US")
    assert (await add(client, buyer, item.skus[0], 2)).status_code == 200
    before = await snapshot(databases)

    response = await add(client, buyer, item.skus[0], 2)

    assert "Only 3" in error_message(response, 409, "out_of_stock")
    assert await snapshot(databases) == before
    cart = await client.get("/api/v1/cart", headers=buyer.headers)
    assert [line["quantity"] for line in cart.json()["lines"]] == [2]


async def test_malformed_json_is_refused_in_plain_words(client, databases):
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/cart/items",
        content=b'{"sku": "TEE", "quantity": ',
        headers={**buyer.headers, "Content-Type": "application/json"},
    )

    assert "not valid JSON" in error_message(response, 422, "invalid_input")
    assert await snapshot(databases) == before


@pytest.mark.parametrize(
    "body",
    [b'{"sku": "TEE\xff\xfe", "quantity": 1}', b"[" * 100_000 + b"]" * 100_000],
    ids=["not-utf8", "nested-too-deep"],
)
async def test_a_body_json_cannot_read_is_refused_like_other_bad_json(client, databases, body):
    buyer = await factories.shopper(databases, "US")

    message = await refused_raw_json(client, databases, "/api/v1/cart/items", body, buyer.headers)

    assert "not valid UTF-8 JSON" in message


# --- products -------------------------------------------------------------------------------


async def test_negative_price_is_refused(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/seller/products", json=product_body(amount="-1.00"), headers=shop.headers
    )

    message = error_message(response, 422, "invalid_input")
    assert "amount" in message and "must be a price above zero" in message
    assert await snapshot(databases) == before


async def test_price_in_the_wrong_currency_for_the_market_is_refused(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/seller/products",
        json=product_body(market="ID", amount="15000", currency="USD"),
        headers=shop.headers,
    )

    message = error_message(response, 422, "invalid_input")
    assert "IDR" in message and "USD" in message
    assert await snapshot(databases) == before


async def test_same_sku_twice_in_one_product_is_refused(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    body = product_body("DUP-1")
    body["variants"] = [body["variants"][0], {**body["variants"][0], "size": "L"}]
    before = await snapshot(databases)

    response = await client.post("/api/v1/seller/products", json=body, headers=shop.headers)

    assert "SKU" in error_message(response, 422, "invalid_input")
    assert await snapshot(databases) == before


async def test_sku_already_used_by_another_product_is_a_conflict(client, databases):
    other = await factories.merchant(databases)
    taken = await factories.product(databases, other, stock={"US": 7})
    shop = await factories.merchant(databases)
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/seller/products", json=product_body(taken.skus[0]), headers=shop.headers
    )

    assert "unique" in error_message(response, 409, "conflict")
    assert await snapshot(databases) == before


async def test_oversized_body_is_refused_before_anything_is_written(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases)
    limit = databases.settings.max_body_bytes
    body = product_body()
    body["description"] = "x" * (limit + 1)
    before = await snapshot(databases)

    response = await client.post("/api/v1/seller/products", json=body, headers=shop.headers)

    assert f"{limit:,} bytes" in error_message(response, 413, "payload_too_large")
    assert await snapshot(databases) == before


async def test_oversized_body_without_a_declared_length_is_refused(client, databases):
    shop = await factories.merchant(databases)
    limit = databases.settings.max_body_bytes
    chunk = b" " * 65_536

    async def stream():  # sent chunked: no Content-Length for the middleware to read
        yield b'{"title": "Plain Tee", "description": "'
        for _ in range(limit // len(chunk) + 1):
            yield chunk
        yield b'"}'

    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/seller/products",
        content=stream(),
        headers={**shop.headers, "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert f"{limit:,} bytes" in error_message(response, 413, "payload_too_large")
    assert await snapshot(databases) == before


async def test_another_shops_product_id_is_not_found(client, databases):
    owner = await factories.merchant(databases)
    item = await factories.product(databases, owner, stock={"US": 4})
    shop = await factories.merchant(databases)
    before = await snapshot(databases)

    response = await client.put(
        f"/api/v1/seller/products/{item.id}/stock",
        json={"sku": item.skus[0], "market": "US", "available": 0},
        headers=shop.headers,
    )

    assert f"Product {item.id}" in error_message(response, 404, "not_found")
    assert await snapshot(databases) == before


async def test_unknown_market_is_refused(client, databases):
    shop = await factories.merchant(databases)
    await factories.product(databases, shop)

    response = await client.get("/api/v1/products", params={"market": "ZZ"})

    message = error_message(response, 404, "not_found")  # no such market: like an unknown id
    assert "'ZZ'" in message and "market" in message
    assert "items" not in response.json()


# --- checkout -------------------------------------------------------------------------------


async def test_checkout_with_an_empty_cart_is_refused(client, databases):
    buyer = await factories.shopper(databases, "US")
    before = await snapshot(databases)

    response = await checkout(client, buyer)

    assert error_message(response, 422, "invalid_input") == "Your cart is empty."
    assert await snapshot(databases) == before


async def test_checkout_without_an_idempotency_key_is_refused(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")
    assert (await add(client, buyer, item.skus[0], 1)).status_code == 200
    before = await snapshot(databases)

    response = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": CARD},
        headers=buyer.headers,
    )

    assert "idempotency-key" in error_message(response, 422, "invalid_input").lower()
    assert await snapshot(databases) == before


async def test_checkout_with_a_card_number_of_letters_is_refused(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")
    assert (await add(client, buyer, item.skus[0], 1)).status_code == 200
    before = await snapshot(databases)

    response = await checkout(client, buyer, card_number="abcd efgh ijkl mnop", save_address=True)

    assert "card number" in error_message(response, 422, "invalid_input")
    assert await snapshot(databases) == before
    # with a real card the same request pays, and only then keeps the address
    paid = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": CARD, "save_address": True},
        headers={**buyer.headers, "Idempotency-Key": "key-0000002"},
    )
    assert paid.status_code == 201, paid.text
    saved = await client.get("/api/v1/addresses", headers=buyer.headers)
    assert [a["line1"] for a in saved.json()] == [factories.ADDRESS["line1"]]


# --- orders ---------------------------------------------------------------------------------


async def test_shipping_a_paid_but_unconfirmed_order_is_an_invalid_transition(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases, "US")
    placed = await factories.buy(client, buyer, item.skus[0])
    order_id = placed.json()["orders"][0]["id"]
    before = await snapshot(databases)

    response = await client.post(
        f"/api/v1/seller/orders/US/{order_id}/ship",
        json={"carrier": "UPS", "tracking_number": "1Z999"},
        headers=shop.headers,
    )

    message = error_message(response, 409, "invalid_transition")
    assert message == f"Order #{order_id} is paid; it can't be shipped now."
    assert await snapshot(databases) == before
    order = await client.get(f"/api/v1/seller/orders/US/{order_id}", headers=shop.headers)
    assert order.json()["status"] == "paid"
    assert order.json()["tracking_number"] == ""
    assert [h["to_status"] for h in order.json()["history"]] == ["pending_payment", "paid"]
