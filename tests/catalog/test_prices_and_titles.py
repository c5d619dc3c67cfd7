"""A price of nothing and a title of spaces are mistakes: refused with a sentence, never
stored (the API, Seller Center's forms, and the names of shops and people alike)."""

import pytest
from sqlalchemy import func, select

from shoptide.catalog.models import Product
from shoptide.errors import InvalidInput
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service
from tests import factories
from tests.catalog.test_seller_pages import new_product_form
from tests.pages import sign_in_merchant


def _product(title: str = "Linen Shirt", amount: str = "12.99") -> dict:
    return {
        "title": title,
        "category": "fashion",
        "variants": [
            {"sku": "LINEN-M", "prices": [{"market": "US", "amount": amount, "currency": "USD"}]}
        ],
    }


async def _products(databases) -> int:
    async with databases.session("main", write=False) as session:
        return await session.scalar(select(func.count()).select_from(Product))


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.50", "", 0])
async def test_a_price_of_zero_or_less_is_refused_over_the_api(client, databases, amount):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")

    answer = await client.post(
        "/api/v1/seller/products", json=_product(amount=amount), headers=shop.headers
    )

    assert answer.status_code == 422, answer.text
    assert "amount" in answer.json()["error"]["message"]
    assert "must be a price above zero" in answer.json()["error"]["message"]
    assert await _products(databases) == 0


async def test_a_price_changed_to_zero_is_refused_and_the_old_one_stays(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1999})
    sku = item.skus[0]

    answer = await client.put(
        f"/api/v1/seller/products/{item.id}/prices/{sku}",
        json={"market": "US", "amount": "0", "currency": "USD"},
        headers=shop.headers,
    )

    assert answer.status_code == 422, answer.text
    shown = await client.get(f"/api/v1/products/{item.id}", params={"market": "US"})
    assert shown.json()["variants"][0]["price"]["amount_minor"] == 1999


async def test_the_documented_price_says_it_must_be_above_zero(client, databases):
    spec = (await client.get("/openapi.json")).json()
    amount = spec["components"]["schemas"]["PriceIn"]["properties"]["amount"]

    numeric = [b for b in amount.get("anyOf", [amount]) if b.get("type") == "number"]
    assert numeric and numeric[0]["exclusiveMinimum"] == 0


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ({"v1_price_US": "0"}, "enter an amount above zero in USD"),
        ({"title": "   "}, "must not be empty or only spaces"),
    ],
)
async def test_the_new_product_form_refuses_a_zero_price_or_blank_title(
    client, databases, typed, said
):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")
    token = await sign_in_merchant(client, shop.email)

    answer = await client.post("/seller/products", data=new_product_form(token, **typed))

    assert answer.status_code == 422
    assert said in answer.text
    assert await _products(databases) == 0


@pytest.mark.parametrize("title", ["   ", "\t\n"])
async def test_a_title_of_spaces_is_refused_over_the_api(client, databases, title):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")

    answer = await client.post(
        "/api/v1/seller/products", json=_product(title), headers=shop.headers
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"] == "title: must not be empty or only spaces"
    assert await _products(databases) == 0


async def test_a_product_renamed_to_spaces_keeps_its_title(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    before = (await client.get(f"/api/v1/seller/products/{item.id}", headers=shop.headers)).json()

    answer = await client.patch(
        f"/api/v1/seller/products/{item.id}", json={"title": "  "}, headers=shop.headers
    )

    assert answer.status_code == 422, answer.text
    after = (await client.get(f"/api/v1/seller/products/{item.id}", headers=shop.headers)).json()
    assert after["title"] == before["title"] != ""


async def test_a_title_is_stored_trimmed(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")

    answer = await client.post(
        "/api/v1/seller/products", json=_product("  Linen Shirt \n"), headers=shop.headers
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["title"] == "Linen Shirt"


async def test_a_staff_member_or_shopper_named_with_spaces_is_refused(client, databases):
    shop = await factories.merchant(databases)
    staff = {"email": "new.staff@example.com", "display_name": "  ", "password": "long enough pw"}

    added = await client.post("/api/v1/seller/staff", json=staff, headers=shop.headers)
    registered = await client.post(
        "/api/v1/auth/register",
        json={
            "market": "US",
            "email": "new.shopper@example.com",
            "password": "long enough pw",
            "display_name": " \t ",
        },
    )

    assert added.status_code == 422, added.text
    assert registered.status_code == 422, registered.text
    assert "display_name: must not be empty" in registered.json()["error"]["message"]


async def test_a_shop_named_with_spaces_is_refused(databases):
    shopper = await factories.shopper(databases)
    async with databases.session(GLOBAL_CELL) as session:
        with pytest.raises(InvalidInput, match="Give the shop a name"):
            await shops_service.create(session, name="   ", home_market="US", owner_id=shopper.id)
