"""The room's selling fragments as a browser uses them: the drawer, the deal console, the
offer panel and the host's offer inbox (htmx posts with the session's CSRF token)."""

import re
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import func, select

from shoptide.live.models import FlashDeal, Offer
from shoptide.orders.models import Order
from tests import factories
from tests.live.test_commerce import Room, live_room, shelf
from tests.pages import sign_in_merchant, sign_in_shopper

IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@asynccontextmanager
async def browser(app):
    """A second browser: its own cookies, so host and viewer can both be signed in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def drawer_form(room: Room, csrf: str, key: str, card: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "idempotency_key": key,
        "sku": room.sku,
        "quantity": "1",
        "card_number": card,
        **factories.ADDRESS,
        **extra,
    }


async def test_a_signed_out_viewer_is_asked_to_sign_in_before_buying(client, databases):
    room = await live_room(databases)

    drawer = await client.get(f"/live/{room.name}/drawer", params={"sku": room.sku})

    assert drawer.status_code == 401
    assert f'href="/signin?next=/live/{room.name}"' in drawer.text


async def test_a_viewer_buys_from_the_drawer_without_leaving_the_room(client, databases):
    room = await live_room(databases, stock=5)
    shopper = await factories.shopper(databases)
    csrf = await sign_in_shopper(client, shopper)

    drawer = await client.get(f"/live/{room.name}/drawer", params={"sku": room.sku})
    key = IDEMPOTENCY_KEY.search(drawer.text).group(1)
    paid = await client.post(
        f"/live/{room.name}/buy", data=drawer_form(room, csrf, key, "4242424242424242")
    )

    assert drawer.status_code == 200
    assert "Velvet Lipstick" in drawer.text and "$19.99" in drawer.text
    assert paid.status_code == 200, paid.text
    assert "Thank you! Your order is placed and paid." in paid.text
    assert await shelf(databases) == 4
    async with databases.session("main", write=False) as s:
        order = await s.scalar(select(Order))
    assert (order.status, order.source_kind, order.source_id) == ("paid", "live", room.id)
    assert f'href="/orders/{order.id}"' in paid.text


async def test_a_declined_card_keeps_the_drawer_open_with_the_reason(client, databases):
    room = await live_room(databases, stock=5)
    shopper = await factories.shopper(databases)
    csrf = await sign_in_shopper(client, shopper)

    declined = await client.post(
        f"/live/{room.name}/buy", data=drawer_form(room, csrf, "declined-01", "4000000000000002")
    )

    assert declined.status_code == 402
    assert "declined" in declined.text.lower()
    assert 'hx-post="/live/' in declined.text  # the form again, to try another card
    assert await shelf(databases) == 5


async def test_the_host_starts_a_deal_from_the_console_and_others_cannot(app, client, databases):
    room = await live_room(databases, stock=30)
    csrf = await sign_in_merchant(client, room.host.email)
    intruder = await factories.merchant(databases)

    console = await client.get(f"/seller/live/{room.name}/deals")
    started = await client.post(
        f"/seller/live/{room.name}/deals",
        data={
            "csrf_token": csrf,
            "sku": room.sku,
            "price": "7.50",
            "quantity": "10",
            "seconds": "120",
        },
    )
    async with browser(app) as other:
        other_csrf = await sign_in_merchant(other, intruder.email)
        refused = await other.post(
            f"/seller/live/{room.name}/deals",
            data={
                "csrf_token": other_csrf,
                "sku": room.sku,
                "price": "1.00",
                "quantity": "1",
                "seconds": "60",
            },
        )

    assert console.status_code == 200 and "Start flash deal" in console.text
    assert started.status_code == 200, started.text
    assert "10</span> of 10 left" in started.text and "$7.50" in started.text
    assert refused.status_code == 403
    assert await shelf(databases) == 20
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(func.count()).select_from(FlashDeal)) == 1


async def test_a_deal_form_mistake_comes_back_with_the_message(client, databases):
    room = await live_room(databases, stock=3)
    csrf = await sign_in_merchant(client, room.host.email)

    refused = await client.post(
        f"/seller/live/{room.name}/deals",
        data={
            "csrf_token": csrf,
            "sku": room.sku,
            "price": "7.50",
            "quantity": "9",
            "seconds": "120",
        },
    )

    assert refused.status_code == 409
    assert "have 9 on the shelf to set aside" in refused.text
    assert 'value="7.50"' in refused.text  # what the host typed is kept


async def test_bargaining_from_offer_to_buying_at_the_agreed_price(app, client, databases):
    room = await live_room(databases)
    shopper = await factories.shopper(databases)
    viewer_csrf = await sign_in_shopper(client, shopper)

    offered = await client.post(
        f"/live/{room.name}/offers",
        data={"csrf_token": viewer_csrf, "sku": room.sku, "price": "14.00"},
    )
    async with browser(app) as host:
        host_csrf = await sign_in_merchant(host, room.host.email)
        inbox = await host.get(f"/seller/live/{room.name}/offers")
        async with databases.session("main", write=False) as s:
            offer_id = await s.scalar(select(Offer.id))
        accepted = await host.post(
            f"/seller/live/{room.name}/offers/{offer_id}",
            data={"csrf_token": host_csrf, "action": "accept"},
        )
    panel = await client.get(f"/live/{room.name}/offer-panel")
    paid = await client.post(
        f"/live/{room.name}/buy",
        data=drawer_form(room, viewer_csrf, "bargain-01", "4242424242424242", offer=str(offer_id)),
    )

    assert "is waiting for the host" in offered.text
    assert "offers $14.00" in inbox.text
    assert accepted.status_code == 200 and "No offers waiting." in accepted.text
    assert f'data-buy-offer="{offer_id}"' in panel.text
    assert paid.status_code == 200, paid.text
    async with databases.session("main", write=False) as s:
        assert (await s.scalar(select(Order))).total_minor == 1400
        assert (await s.get(Offer, offer_id)).status == "used"
