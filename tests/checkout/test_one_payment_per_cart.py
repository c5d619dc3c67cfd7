"""A cart is paid once, whatever the number of idempotency keys, tabs and retries; a key
stands for one request."""

import asyncio

from sqlalchemy import func, select

from shoptide.checkout.models import Checkout
from shoptide.inventory.models import Stock
from shoptide.payments.gateway import TestGateway
from shoptide.payments.models import Payment
from tests import factories
from tests.pages import BROWSER, sign_in_shopper

CARD = "4242424242424242"


async def cart_of_two(client, databases, stock: int = 10):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1500}, stock={"US": stock})
    buyer = await factories.shopper(databases)
    added = await client.post(
        "/api/v1/cart/items", json={"sku": item.skus[0], "quantity": 2}, headers=buyer.headers
    )
    assert added.status_code == 200
    return buyer


def pay(client, buyer, key: str, card: str = CARD, address: dict | None = None):
    return client.post(
        "/api/v1/checkout",
        json={"address": address or factories.ADDRESS, "card_number": card},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


async def test_four_checkouts_of_one_cart_at_once_pay_for_it_once(client, databases):
    buyer = await cart_of_two(client, databases)

    responses = await asyncio.gather(*(pay(client, buyer, f"tab-key-{n}") for n in range(4)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    refused = [r.json()["error"]["message"] for r in responses if r.status_code != 201]
    assert all(
        "already in progress" in message or "cart is empty" in message for message in refused
    ), refused
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 8  # down by the cart's 2 only
        paid = select(func.count()).select_from(Checkout).where(Checkout.status == "paid")
        assert await s.scalar(paid) == 1
        assert await s.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_second_key_while_the_cart_is_being_paid_is_told_so(client, app, databases):
    """Two tabs of the checkout page each carry their own key: the second submit, while the
    first one's card is being charged, is refused with a message that says why."""
    charging, release = asyncio.Event(), asyncio.Event()

    class SlowGateway(TestGateway):
        async def charge(self, **kwargs):
            charging.set()
            await release.wait()
            return await super().charge(**kwargs)

    buyer = await cart_of_two(client, databases)
    token = await sign_in_shopper(client, buyer)
    tabs = [await client.get("/checkout") for _ in range(2)]  # each page mints its own key
    keys = [tab.text.split('name="idempotency_key" value="')[1].split('"')[0] for tab in tabs]
    form = {**factories.ADDRESS, "card_number": CARD, "csrf_token": token}

    def submit(key: str):
        return client.post("/checkout", data={**form, "idempotency_key": key}, headers=BROWSER)

    gateway, app.state.gateway = app.state.gateway, SlowGateway()
    try:
        first_tab = asyncio.create_task(submit(keys[0]))
        await asyncio.wait_for(charging.wait(), 10)
        second = await asyncio.wait_for(submit(keys[1]), 10)  # not charged again
    finally:
        release.set()
        app.state.gateway = gateway
    first = await first_tab

    assert second.status_code == 409
    assert "A payment for this cart is already in progress" in second.text
    assert first.status_code == 303
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 8
        assert await s.scalar(select(func.count()).select_from(Payment)) == 1


async def test_the_same_key_with_another_body_is_refused_not_replayed(client, databases):
    buyer = await cart_of_two(client, databases)
    first = await pay(client, buyer, "one-key-0001")
    other_address = {**factories.ADDRESS, "line1": "2 Other Street"}

    again = await pay(client, buyer, "one-key-0001", address=other_address)
    replay = await pay(client, buyer, "one-key-0001")

    assert first.status_code == 201
    assert again.status_code == 409
    assert "already used for a different request" in again.json()["error"]["message"]
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])


async def test_the_same_key_sent_twice_at_once_gets_the_replay_not_an_empty_cart(client, databases):
    buyer = await cart_of_two(client, databases)

    responses = await asyncio.gather(*(pay(client, buyer, "double-click") for _ in range(3)))

    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 8


async def test_the_cart_can_be_paid_again_once_its_checkout_is_over(client, databases):
    """The cart's slot is freed when a checkout leaves pending: a declined card does not
    block the next try with another key."""
    buyer = await cart_of_two(client, databases)

    declined = await pay(client, buyer, "declined-key", card="4000000000000002")
    paid = await pay(client, buyer, "second-try-key")

    assert (declined.status_code, paid.status_code) == (402, 201)
