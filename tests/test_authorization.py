"""Who may see and change what: another merchant's products and orders, another shopper's
orders and addresses, the wrong kind of account, and no account at all. Every refusal is
checked for its status and for what it left behind: nothing changed, nothing shown."""

import secrets

import httpx
import pytest
from sqlalchemy import func, select

from shoptide.accounts.models import Address
from shoptide.catalog.models import Listing, Product
from shoptide.checkout.models import CartLine, Checkout
from shoptide.db import Databases
from shoptide.inventory.models import Stock
from shoptide.orders.models import Order, OrderStatusChange
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import BROWSER, sign_in_shopper

SECRET_ADDRESS = {
    "full_name": "Grace Hiddenname",
    "line1": "77 Quietwater Lane",
    "city": "Elsewhere",
    "postal_code": "99887",
    "phone": "+1 555 0199",
}


# --- helpers ---------------------------------------------------------------------------


async def count(databases: Databases, cell: str, model: type, *where: object) -> int:
    async with databases.session(cell, write=False) as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def product_state(databases: Databases, product_id: int) -> dict[str, object]:
    """Everything another merchant might try to change: the product, its prices, its stock."""
    async with databases.session(GLOBAL_CELL, write=False) as s:
        product = await s.get(Product, product_id)
        assert product is not None
        prices = sorted(
            (r.market_code, r.price_minor)
            for r in await s.scalars(select(Listing).where(Listing.product_id == product_id))
        )
        state: dict[str, object] = {
            "title": product.title,
            "description": product.description,
            "status": product.status,
            "prices": prices,
        }
    async with databases.session("main", write=False) as s:
        state["stock"] = sorted(
            (r.market_code, r.available) for r in await s.scalars(select(Stock))
        )
    return state


async def order_state(databases: Databases, market: str, order_id: int) -> tuple[object, ...]:
    cell = databases.settings.cell_of_market(market)
    async with databases.session(cell, write=False) as s:
        order = await s.get(Order, order_id)
        assert order is not None
        changes = await count(databases, cell, OrderStatusChange)
        stock = sorted((r.market_code, r.available) for r in await s.scalars(select(Stock)))
        return order.status, order.tracking_number, changes, stock


async def paid_order(
    client: httpx.AsyncClient,
    databases: Databases,
    shop: factories.Merchant,
    buyer: factories.Account,
    address: dict[str, str] | None = None,
) -> int:
    market = buyer.market or "US"
    prices = {"US": 2500, "ID": 150000}
    item = await factories.product(databases, shop, prices=prices, stock={market: 5})
    added = await client.post(
        "/api/v1/cart/items", json={"sku": item.skus[0], "quantity": 1}, headers=buyer.headers
    )
    assert added.status_code == 200, added.text
    placed = await client.post(
        "/api/v1/checkout",
        json={"address": address or factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**buyer.headers, "Idempotency-Key": f"key-{secrets.token_hex(8)}"},
    )
    assert placed.status_code == 201, placed.text
    return placed.json()["orders"][0]["id"]


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error["message"]


# --- merchants: another shop's products --------------------------------------------------


async def test_merchant_cannot_read_or_change_another_shops_product(client, databases):
    shop_a = await factories.merchant(databases)
    shop_b = await factories.merchant(databases)
    item = await factories.product(
        databases, shop_a, prices={"US": 1999}, stock={"US": 10}, publish=False
    )
    own = await factories.product(databases, shop_b, prices={"US": 500}, stock={"US": 1})
    before = await product_state(databases, item.id)
    base = f"/api/v1/seller/products/{item.id}"
    attempts = [
        client.get(base, headers=shop_b.headers),
        client.patch(base, json={"title": "Hijacked"}, headers=shop_b.headers),
        client.post(f"{base}/publish", headers=shop_b.headers),
        client.put(
            f"{base}/prices/{item.skus[0]}",
            json={"market": "US", "amount": "0.01", "currency": "USD"},
            headers=shop_b.headers,
        ),
        client.put(
            f"{base}/stock",
            json={"sku": item.skus[0], "market": "US", "available": 0},
            headers=shop_b.headers,
        ),
    ]

    for attempt in attempts:
        response = await attempt
        message = assert_error(response, 404, "not_found")
        assert "not one of your shop's products" in message
        assert "Hijacked" not in response.text and item.skus[0] not in response.text

    assert await product_state(databases, item.id) == before
    assert before["status"] == "draft" and before["prices"] == [("US", 1999)]
    listed = await client.get("/api/v1/seller/products", headers=shop_b.headers)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [own.id]
    # the owner does see it: the refusal above is about ownership, not a broken route
    mine = await client.get(base, headers=shop_a.headers)
    assert mine.status_code == 200 and mine.json()["variants"][0]["sku"] == item.skus[0]


async def test_merchant_cannot_unpublish_another_shops_product(client, databases):
    shop_a = await factories.merchant(databases)
    shop_b = await factories.merchant(databases)
    item = await factories.product(databases, shop_a)

    response = await client.post(
        f"/api/v1/seller/products/{item.id}/unpublish", headers=shop_b.headers
    )

    assert_error(response, 404, "not_found")
    assert (await product_state(databases, item.id))["status"] == "published"


async def test_merchant_acting_for_a_shop_they_dont_belong_to_is_forbidden(client, databases):
    shop_a = await factories.merchant(databases)
    shop_b = await factories.merchant(databases)
    await factories.product(databases, shop_a, title="Shop A secret")
    products_before = await count(databases, GLOBAL_CELL, Product)

    listed = await client.get(
        "/api/v1/seller/products", headers={**shop_b.headers, "X-Shop-Id": str(shop_a.shop_id)}
    )
    created = await client.post(
        "/api/v1/seller/products",
        json={
            "title": "Planted",
            "category": "fashion",
            "variants": [
                {"sku": "PLANTED-1", "prices": [{"market": "US", "amount": "1", "currency": "USD"}]}
            ],
        },
        headers={**shop_b.headers, "X-Shop-Id": str(shop_a.shop_id)},
    )

    assert "not a member of that shop" in assert_error(listed, 403, "forbidden")
    assert "Shop A secret" not in listed.text
    assert_error(created, 403, "forbidden")
    assert await count(databases, GLOBAL_CELL, Product) == products_before
    own = await client.get(
        "/api/v1/seller/products", headers={**shop_b.headers, "X-Shop-Id": str(shop_b.shop_id)}
    )
    assert own.status_code == 200 and own.json() == []


# --- merchants: another shop's orders ----------------------------------------------------


async def test_merchant_cannot_read_or_act_on_another_shops_order(client, databases):
    shop_a = await factories.merchant(databases)
    shop_b = await factories.merchant(databases)
    buyer = await factories.shopper(databases, "US")
    order_id = await paid_order(client, databases, shop_a, buyer)
    before = await order_state(databases, "US", order_id)
    base = f"/api/v1/seller/orders/US/{order_id}"
    attempts = [
        client.get(base, headers=shop_b.headers),
        client.post(f"{base}/confirm", headers=shop_b.headers),
        client.post(f"{base}/ship", json={"tracking_number": "TRK123"}, headers=shop_b.headers),
        client.post(f"{base}/cancel", json={"reason": "mine now"}, headers=shop_b.headers),
    ]

    for attempt in attempts:
        response = await attempt
        assert "not one of your shop's orders" in assert_error(response, 404, "not_found")
        assert "Ada Shopper" not in response.text

    assert await order_state(databases, "US", order_id) == before
    assert before[0] == "paid"
    theirs = await client.get("/api/v1/seller/orders", headers=shop_b.headers)
    assert theirs.status_code == 200 and theirs.json() == []
    mine = await client.get("/api/v1/seller/orders", headers=shop_a.headers)
    assert [o["id"] for o in mine.json()] == [order_id]


# --- shoppers: another shopper's orders and addresses --------------------------------------


async def test_shopper_cannot_read_another_shoppers_order(client, databases):
    shop = await factories.merchant(databases)
    first = await factories.shopper(databases, "US")
    second = await factories.shopper(databases, "US")
    order_id = await paid_order(client, databases, shop, first, SECRET_ADDRESS)

    response = await client.get(f"/api/v1/orders/{order_id}", headers=second.headers)
    listed = await client.get("/api/v1/orders", headers=second.headers)

    assert assert_error(response, 404, "not_found") == f"Order #{order_id} not found."
    assert SECRET_ADDRESS["line1"] not in response.text
    assert listed.status_code == 200 and listed.json() == []
    own = await client.get(f"/api/v1/orders/{order_id}", headers=first.headers)
    assert own.status_code == 200
    assert own.json()["shipping"]["line1"] == SECRET_ADDRESS["line1"]


async def test_shopper_sees_only_their_own_addresses(client, databases):
    first = await factories.shopper(databases, "US")
    second = await factories.shopper(databases, "US")
    added = await client.post("/api/v1/addresses", json=SECRET_ADDRESS, headers=first.headers)
    assert added.status_code == 201, added.text
    own = await client.post("/api/v1/addresses", json=factories.ADDRESS, headers=second.headers)
    assert own.status_code == 201, own.text

    listed = await client.get("/api/v1/addresses", headers=second.headers)

    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [own.json()["id"]]
    assert SECRET_ADDRESS["line1"] not in listed.text


async def test_checkout_with_another_shoppers_address_is_not_found(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    first = await factories.shopper(databases, "US")
    second = await factories.shopper(databases, "US")
    added = await client.post("/api/v1/addresses", json=SECRET_ADDRESS, headers=first.headers)
    address_id = added.json()["id"]
    in_cart = await client.post(
        "/api/v1/cart/items", json={"sku": item.skus[0], "quantity": 2}, headers=second.headers
    )
    assert in_cart.status_code == 200

    response = await client.post(
        "/api/v1/checkout",
        json={"address_id": address_id, "card_number": "4242424242424242"},
        headers={**second.headers, "Idempotency-Key": "borrowed-address-1"},
    )

    assert assert_error(response, 404, "not_found") == "Address not found."
    assert SECRET_ADDRESS["line1"] not in response.text
    assert await count(databases, "main", Order) == 0
    assert await count(databases, "main", Checkout) == 0
    assert await count(databases, "main", CartLine, CartLine.shopper_id == second.id) == 1
    assert await count(databases, "main", Address) == 1
    async with databases.session("main", write=False) as s:
        assert list(await s.scalars(select(Stock.available))) == [5]


@pytest.mark.parametrize("market", ["US", "ID"])
async def test_signed_in_shopper_cannot_open_another_shoppers_order_page(client, databases, market):
    shop = await factories.merchant(databases)
    first = await factories.shopper(databases, market)
    second = await factories.shopper(databases, market)
    order_id = await paid_order(client, databases, shop, first, SECRET_ADDRESS)
    await sign_in_shopper(client, second)

    page = await client.get(f"/orders/{order_id}", headers=BROWSER)

    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert f"Order #{order_id} not found." in page.text
    for value in SECRET_ADDRESS.values():
        assert value not in page.text
    # the same page opens for its owner, address and all
    await sign_in_shopper(client, first)
    own = await client.get(f"/orders/{order_id}", headers=BROWSER)
    assert own.status_code == 200
    assert SECRET_ADDRESS["line1"] in own.text


# --- the wrong kind of account, or none ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/seller/products"),
        ("POST", "/api/v1/seller/products"),
        ("GET", "/api/v1/seller/orders"),
        ("GET", "/api/v1/seller/staff"),
    ],
)
async def test_shopper_token_is_refused_by_seller_center(client, databases, method, path):
    shop = await factories.merchant(databases)
    await factories.product(databases, shop, title="Merchant-only title")
    buyer = await factories.shopper(databases, "US")
    products_before = await count(databases, GLOBAL_CELL, Product)
    body = {
        "title": "By a shopper",
        "category": "fashion",
        "variants": [
            {"sku": "SHOPPER-1", "prices": [{"market": "US", "amount": "1", "currency": "USD"}]}
        ],
    }

    response = await client.request(
        method, path, json=body if method == "POST" else None, headers=buyer.headers
    )

    assert assert_error(response, 403, "forbidden") == "Seller Center is for merchant accounts."
    assert "Merchant-only title" not in response.text
    assert await count(databases, GLOBAL_CELL, Product) == products_before


async def test_cart_without_a_token_is_unauthorized(client, databases):
    response = await client.get("/api/v1/cart")
    added = await client.post("/api/v1/cart/items", json={"sku": "ANY-SKU", "quantity": 1})

    assert assert_error(response, 401, "unauthorized") == "Please sign in first."
    assert_error(added, 401, "unauthorized")
    assert await count(databases, "main", CartLine) == 0


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "st_main_" + "x" * 43,  # well formed, never issued
        "st_nowhere_" + "x" * 43,  # names a cell that does not exist
        "st_global_" + "x" * 43,
    ],
)
async def test_forged_bearer_token_is_unauthorized(client, databases, token):
    buyer = await factories.shopper(databases, "US")
    shop = await factories.merchant(databases)

    for path in ("/api/v1/cart", "/api/v1/orders", "/api/v1/me", "/api/v1/seller/products"):
        response = await client.get(path, headers=factories.bearer(token))
        assert_error(response, 401, "unauthorized")
        assert buyer.email not in response.text and shop.email not in response.text
    added = await client.post(
        "/api/v1/cart/items",
        json={"sku": "ANY-SKU", "quantity": 1},
        headers=factories.bearer(token),
    )
    assert_error(added, 401, "unauthorized")
    assert await count(databases, "main", CartLine) == 0


async def test_tampered_real_token_is_unauthorized(client, databases):
    buyer = await factories.shopper(databases, "US")
    tampered = buyer.token[:-1] + ("A" if buyer.token[-1] != "A" else "B")

    response = await client.get("/api/v1/me", headers=factories.bearer(tampered))

    assert_error(response, 401, "unauthorized")
    assert buyer.email not in response.text
    assert (await client.get("/api/v1/me", headers=buyer.headers)).json()["email"] == buyer.email


async def test_cart_page_sends_a_visitor_to_sign_in(client, databases):
    response = await client.get("/cart", headers=BROWSER)

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/cart"
