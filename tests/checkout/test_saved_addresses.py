"""The address book after a paid checkout: one rule for the API (its `save_address` flag),
the checkout page and a live room's drawer (which always save), and each address once."""

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shoptide.accounts.models import Address
from shoptide.checkout import flows as checkout_flows
from shoptide.checkout import service as checkout_service
from shoptide.db import alembic_config
from shoptide.markets import service as markets_service
from shoptide.orders.models import Order, ShippingAddress
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import BROWSER, sign_in_shopper

CARD = "4242424242424242"
BEFORE_THE_UNIQUE_ADDRESS = "38c277b2a9ac"  # the revision before address_once_per_shopper
NEW_ADDRESS = ShippingAddress("Ada Shopper", "7 Harbour Road", "", "Springfield", "12345", "US", "")


async def saved_lines(databases, account) -> list[str]:
    async with databases.session(account.cell, write=False) as s:
        rows = await s.scalars(
            select(Address.line1).where(Address.user_id == account.id).order_by(Address.id)
        )
        return list(rows)


async def _checkout(client, buyer, sku: str, key: str, **body):
    added = await client.post(
        "/api/v1/cart/items", json={"sku": sku, "quantity": 1}, headers=buyer.headers
    )
    assert added.status_code == 200, added.text
    return await client.post(
        "/api/v1/checkout",
        json={"card_number": CARD, **body},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


async def test_the_api_keeps_a_new_address_only_when_asked(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    quiet, keeper = await factories.shopper(databases), await factories.shopper(databases)

    unsaved = await _checkout(client, quiet, item.skus[0], "no-save-001", address=factories.ADDRESS)
    saved = await _checkout(
        client, keeper, item.skus[0], "save-00001", address=factories.ADDRESS, save_address=True
    )
    replayed = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": CARD, "save_address": True},
        headers={**keeper.headers, "Idempotency-Key": "save-00001"},
    )

    assert (unsaved.status_code, saved.status_code, replayed.status_code) == (201, 201, 200)
    assert await saved_lines(databases, quiet) == []
    assert await saved_lines(databases, keeper) == ["1 Main Street"]


async def test_a_declined_checkout_keeps_no_address(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    buyer = await factories.shopper(databases)

    declined = await _checkout(
        client,
        buyer,
        item.skus[0],
        "declined-01",
        address=factories.ADDRESS,
        save_address=True,
        card_number="4000000000000002",
    )

    assert declined.status_code == 402
    assert await saved_lines(databases, buyer) == []


async def test_paying_to_a_saved_address_ships_there_and_adds_nothing(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    buyer = await factories.shopper(databases)
    first = await _checkout(
        client, buyer, item.skus[0], "first-0001", address=factories.ADDRESS, save_address=True
    )
    book = await client.get("/api/v1/addresses", headers=buyer.headers)
    [address_id] = [address["id"] for address in book.json()]

    second = await _checkout(
        client, buyer, item.skus[0], "second-001", address_id=address_id, save_address=True
    )

    assert (first.status_code, second.status_code) == (201, 201), second.text
    async with databases.session(buyer.cell, write=False) as s:
        order = await s.get(Order, second.json()["orders"][0]["id"])
        assert (order.shipping.line1, order.shipping.country_code) == ("1 Main Street", "US")
    assert await saved_lines(databases, buyer) == ["1 Main Street"]


async def test_the_checkout_page_keeps_the_address_once_however_often_it_is_used(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 5})
    buyer = await factories.shopper(databases)
    token = await sign_in_shopper(client, buyer)

    for _ in range(2):
        await client.post("/cart/add", data={"sku": item.skus[0], "csrf_token": token})
        form = await client.get("/checkout")
        key = form.text.split('name="idempotency_key" value="')[1].split('"')[0]
        paid = await client.post(
            "/checkout",
            headers=BROWSER,
            data={
                **factories.ADDRESS,
                "card_number": "4242424242424242",
                "idempotency_key": key,
                "csrf_token": token,
            },
        )
        assert paid.status_code == 303, paid.text

    assert await saved_lines(databases, buyer) == ["1 Main Street"]


async def test_two_checkouts_paid_at_once_with_the_same_new_address_keep_it_once(app, databases):
    """The drawer's way (bought on the spot, the address saved): both checkouts settle at
    the same time, and the book holds the address once."""
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 10})
    buyer = await factories.shopper(databases)
    async with databases.session(GLOBAL_CELL, write=False) as session:
        market = await markets_service.get(session, "US")
        line = await checkout_service.purchase(session, market=market, sku=item.skus[0], quantity=1)

    def attempt(key: str) -> checkout_service.Attempt:
        return checkout_service.Attempt(
            buyer.id, market, key, NEW_ADDRESS, timedelta(minutes=15), save_address=True
        )

    results = await asyncio.gather(
        *(
            checkout_flows.buy_now(
                databases,
                app.state.gateway,
                attempt=attempt(f"same-address-{n}"),
                purchases=[line],
                card_number="4242424242424242",
            )
            for n in range(4)
        )
    )

    assert all(result.paid for result in results)
    assert await saved_lines(databases, buyer) == ["7 Harbour Road"]


async def test_the_book_refuses_the_same_address_twice(databases):
    buyer = await factories.shopper(databases)
    fields = {**factories.ADDRESS, "line2": "", "country_code": "US"}

    with pytest.raises(IntegrityError):
        async with databases.session(buyer.cell) as s:
            s.add_all([Address(user_id=buyer.id, **fields), Address(user_id=buyer.id, **fields)])
    async with databases.session(buyer.cell, write=False) as s:
        assert await s.scalar(select(func.count()).select_from(Address)) == 0


def _book_with_duplicates(path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    row = {"full_name": "A", "line2": "", "city": "T", "postal_code": "1", "phone": ""}
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO user_account (id, email, password_hash, display_name, role,"
                " is_active, created_at) VALUES (1, 'a@b.c', 'x', 'A', 'shopper', 1, '2026-01-01')"
            )
        )
        for line1, day in [("1 St", 3), ("1 St", 1), ("2 St", 2), ("1 St", 4)]:
            conn.execute(
                sa.text(
                    "INSERT INTO address (user_id, full_name, line1, line2, city, postal_code,"
                    " country_code, phone, created_at) VALUES (1, :full_name, :line1, :line2,"
                    " :city, :postal_code, 'US', :phone, :at)"
                ),
                {**row, "line1": line1, "at": f"2026-01-0{day}"},
            )
    engine.dispose()


def _book(path) -> list[tuple[int, str]]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, line1 FROM address ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


async def test_the_migration_keeps_the_oldest_of_each_duplicate_address(tmp_path):
    path = tmp_path / "cell.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    await asyncio.to_thread(command.upgrade, config, BEFORE_THE_UNIQUE_ADDRESS)
    await asyncio.to_thread(_book_with_duplicates, path)

    await asyncio.to_thread(command.upgrade, config, "head")

    assert await asyncio.to_thread(_book, path) == [(2, "1 St"), (3, "2 St")]


async def test_adding_an_address_already_in_the_book_keeps_it_once(client, databases):
    buyer = await factories.shopper(databases)

    added = [
        await client.post("/api/v1/addresses", json=factories.ADDRESS, headers=buyer.headers)
        for _ in range(2)
    ]

    assert [response.status_code for response in added] == [201, 201]
    assert added[0].json()["id"] == added[1].json()["id"]
    assert await saved_lines(databases, buyer) == ["1 Main Street"]
