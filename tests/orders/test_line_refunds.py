"""Money back on one line of a shipped order: partial refunds, returns within the market's
window, never more than the line was paid, only by the shop that sold it; the shopper's card
is refunded once, and the order pages show what was refunded and who recommended a line."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.creators import service as creators
from shoptide.db import Databases
from shoptide.errors import InvalidInput
from shoptide.events import Delivery, OutboxEvent
from shoptide.markets import service as markets_service
from shoptide.orders import refunds
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order, OrderLine, OrderLineRefund, OrderStatusChange
from shoptide.payments.models import Refund
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import sign_in_merchant, sign_in_shopper


@dataclass
class Sold:
    shop: factories.Merchant
    buyer: factories.Account
    order_id: int
    line_id: int

    @property
    def api(self) -> str:
        return f"/api/v1/seller/orders/US/{self.order_id}"

    @property
    def refunds(self) -> str:
        return f"{self.api}/lines/{self.line_id}/refunds"

    @property
    def page(self) -> str:
        return f"/seller/orders/US/{self.order_id}"


async def sold(
    client: httpx.AsyncClient,
    databases: Databases,
    *,
    to: str = "shipped",
    shop: factories.Merchant | None = None,
) -> Sold:
    """Two Linen Shirts at $15.00 (a $30.00 line), paid and moved on to `to`."""
    shop = shop or await factories.merchant(databases)
    item = await factories.product(
        databases, shop, prices={"US": 1500}, stock={"US": 5}, title="Linen Shirt"
    )
    buyer = await factories.shopper(databases)
    bought = await factories.buy(client, buyer, item.skus[0], quantity=2)
    assert bought.status_code == 201, bought.text
    order = bought.json()["orders"][0]
    made = Sold(shop, buyer, order["id"], order["lines"][0]["id"])
    steps = ["confirm", "ship", "deliver"][: {"paid": 0, "shipped": 2, "delivered": 3}[to]]
    for step in steps:
        body = {"tracking_number": "1Z-TRACK"} if step == "ship" else None
        moved = await client.post(f"{made.api}/{step}", headers=shop.headers, json=body)
        assert moved.status_code == 200, moved.text
    return made


async def refund(
    client: httpx.AsyncClient, order: Sold, amount_minor: int, reason: str = "refund"
) -> httpx.Response:
    return await client.post(
        order.refunds,
        headers=order.shop.headers,
        json={"amount_minor": amount_minor, "reason": reason, "note": "Loose button"},
    )


async def written(databases: Databases) -> tuple[int, int, int, int]:
    """What a refund writes: the line's refunded total, refund rows, history rows, events."""
    async with databases.session("main", write=False) as s:
        refunded = await s.scalar(select(func.sum(OrderLine.refunded_minor))) or 0
        rows = await s.scalar(select(func.count()).select_from(OrderLineRefund)) or 0
        history = await s.scalar(select(func.count()).select_from(OrderStatusChange)) or 0
        events = (
            await s.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.type == "OrderLineRefunded")
            )
            or 0
        )
    return refunded, rows, history, events


async def test_partial_refunds_add_up_to_the_line_and_not_a_cent_more(client, databases):
    order = await sold(client, databases)

    first = await refund(client, order, 1000)
    too_much = await refund(client, order, 2001)
    after_refusal = await written(databases)
    rest = await refund(client, order, 2000)
    one_cent_more = await refund(client, order, 1)

    assert first.status_code == 201, first.text
    assert first.json()["amount"]["display"] == "$10.00"
    assert first.json()["reason"] == "refund" and first.json()["note"] == "Loose button"
    assert too_much.status_code == 422
    assert too_much.json()["error"]["message"] == "You can refund at most $20.00 on this line."
    assert after_refusal[:2] == (1000, 1)
    assert rest.status_code == 201, rest.text
    assert one_cent_more.status_code == 422
    assert one_cent_more.json()["error"]["message"] == (
        "You can refund at most $0.00 on this line."
    )
    assert (await written(databases))[:2] == (3000, 2)
    seen = (await client.get(order.api, headers=order.shop.headers)).json()
    assert seen["status"] == "shipped"  # a refund doesn't move the order
    assert seen["lines"][0]["refunded"]["display"] == "$30.00"
    assert [h["note"] for h in seen["history"][-2:]] == [
        "Refunded $10.00 on Linen Shirt",
        "Refunded $20.00 on Linen Shirt",
    ]
    assert seen["refund"] is None  # no whole-order refund: the order was not cancelled


async def test_a_refund_of_nothing_or_less_is_refused(client, databases):
    order = await sold(client, databases)
    before = await written(databases)

    responses = [await refund(client, order, amount) for amount in (0, -500)]

    assert [r.status_code for r in responses] == [422, 422]
    assert "above zero" in responses[0].json()["error"]["message"]
    assert await written(databases) == before


async def test_two_refunds_racing_for_the_rest_of_a_line_pay_out_once(client, databases):
    order = await sold(client, databases)

    results = await asyncio.gather(refund(client, order, 2000), refund(client, order, 2000))

    assert sorted(r.status_code for r in results) == [201, 422]
    assert (await written(databases))[:2] == (2000, 1)


async def test_the_refund_limit_is_decided_in_sql_not_by_what_was_read(databases, client):
    order = await sold(client, databases)
    async with databases.session(GLOBAL_CELL, write=False) as g:
        us = await markets_service.get(g, "US")

    async with databases.session("main") as s:
        loaded = await orders_service.get(s, order.order_id)  # reads $0 refunded so far
        # another request refunds $25.00 after this one read the line
        await s.execute(
            update(OrderLine.__table__)
            .where(OrderLine.__table__.c.id == order.line_id)
            .values(refunded_minor=2500)
        )
        with pytest.raises(InvalidInput, match=r"at most \$5\.00 on this line"):
            await refunds.refund_line(
                s, loaded, market=us, line_id=order.line_id, amount_minor=1000, reason="refund"
            )

    assert (await written(databases))[:2] == (2500, 0)


async def test_refund_before_shipping_says_to_cancel_instead(client, databases):
    order = await sold(client, databases, to="paid")
    before = await written(databases)

    early = await refund(client, order, 500)

    assert early.status_code == 409
    assert early.json()["error"]["message"] == (
        f"Order #{order.order_id} is not shipped yet: cancel it to refund everything."
    )
    assert await written(databases) == before


async def test_return_within_the_window_is_recorded_on_the_line(client, databases):
    order = await sold(client, databases, to="delivered")

    returned = await refund(client, order, 1500, reason="return")

    assert returned.status_code == 201, returned.text
    seen = (await client.get(order.api, headers=order.shop.headers)).json()
    assert seen["status"] == "delivered"
    assert seen["lines"][0]["refunds"][0]["reason"] == "return"
    assert seen["history"][-1]["note"] == "Return received: Linen Shirt ($15.00 refunded)"


async def test_return_after_the_window_is_refused_with_the_date_it_closed(client, databases):
    order = await sold(client, databases, to="delivered")
    async with databases.session("main") as s:
        placed = await s.get_one(Order, order.order_id)
        assert placed.delivered_at is not None
        placed.delivered_at -= timedelta(days=16)  # the US window is 15 days
        closed = (placed.delivered_at + timedelta(days=15)).date().isoformat()
    before = await written(databases)

    late = await refund(client, order, 1500, reason="return")
    plain_refund = await refund(client, order, 500)  # a goodwill refund has no window

    assert late.status_code == 422
    assert late.json()["error"]["message"] == (
        f"The return window of order #{order.order_id} closed on {closed} (15 days after delivery)."
    )
    assert plain_refund.status_code == 201
    assert (await written(databases))[:2] == (before[0] + 500, before[1] + 1)


async def test_return_before_delivery_is_refused(client, databases):
    order = await sold(client, databases)
    before = await written(databases)

    early = await refund(client, order, 1500, reason="return")

    assert early.status_code == 422
    assert "not delivered yet" in early.json()["error"]["message"]
    assert await written(databases) == before


async def test_a_line_of_another_order_is_not_found(client, databases):
    order = await sold(client, databases)
    other = await sold(client, databases, shop=order.shop)

    wrong = await client.post(
        f"{order.api}/lines/{other.line_id}/refunds",
        headers=order.shop.headers,
        json={"amount_minor": 100, "reason": "refund"},
    )

    assert wrong.status_code == 404
    assert wrong.json()["error"]["message"] == (
        f"Order #{order.order_id} has no line {other.line_id}."
    )
    assert (await written(databases))[:2] == (0, 0)


async def test_another_shops_merchant_cannot_refund_by_api_or_page(client, databases):
    order = await sold(client, databases)
    intruder = await factories.merchant(databases)
    before = await written(databases)

    by_api = await client.post(
        order.refunds, headers=intruder.headers, json={"amount_minor": 100, "reason": "refund"}
    )
    token = await sign_in_merchant(client, intruder.email)
    by_page = await client.post(
        f"{order.page}/lines/{order.line_id}/refund",
        data={"csrf_token": token, "amount": "1.00", "reason": "refund"},
    )

    assert by_api.status_code == 404
    assert by_page.status_code == 404 and "Linen Shirt" not in by_page.text
    assert await written(databases) == before


async def test_the_card_is_refunded_once_however_often_the_event_is_delivered(
    client, app, databases
):
    order = await sold(client, databases)
    made = await refund(client, order, 700)
    reference = f"line-refund:{made.json()['id']}"

    await app.state.dispatcher.run_once()
    async with databases.session("main", write=False) as s:
        event = await s.scalar(select(OutboxEvent).where(OutboxEvent.type == "OrderLineRefunded"))
    handler = app.state.registry.for_type("OrderLineRefunded")["payments.refund_order_line"]
    await handler(Delivery(event.id, event.type, dict(event.payload), "main"))  # at-least-once

    async with databases.session("main", write=False) as s:
        refunds = list(await s.scalars(select(Refund)))
    assert [(r.order_id, r.reference, r.amount_minor, r.currency) for r in refunds] == [
        (order.order_id, reference, 700, "USD")
    ]
    gateway_refunds = [ref for ref in app.state.gateway._refunds if ref.endswith(reference)]
    assert len(gateway_refunds) == 1
    seen = await client.get(f"/api/v1/orders/{order.order_id}", headers=order.buyer.headers)
    assert seen.json()["refund"] is None  # the whole-order row is for cancelled orders only
    assert seen.json()["lines"][0]["refunded"]["display"] == "$7.00"


async def test_seller_page_refunds_a_line_and_shows_mistakes_on_the_order(client, databases):
    order = await sold(client, databases, to="delivered")
    token = await sign_in_merchant(client, order.shop.email)
    action = f"{order.page}/lines/{order.line_id}/refund"

    page = await client.get(order.page)
    done = await client.post(
        action, data={"csrf_token": token, "amount": "5.00", "reason": "refund", "note": "Stain"}
    )
    after = await client.get(done.headers["location"])
    too_much = await client.post(
        action, data={"csrf_token": token, "amount": "25.01", "reason": "refund"}
    )
    not_money = await client.post(
        action, data={"csrf_token": token, "amount": "five", "reason": "refund"}
    )
    forged = await client.post(action, data={"csrf_token": "forged", "amount": "1.00"})

    assert f'action="{action}"' in page.text
    assert done.status_code == 303
    assert "Refund recorded." in after.text
    assert "Refunded $5.00" in after.text  # on the line
    assert "Refunded $5.00 on Linen Shirt" in after.text  # in the history
    assert too_much.status_code == 422
    assert "You can refund at most $25.00 on this line." in too_much.text
    assert 'value="25.01"' in too_much.text  # what was typed is still there
    assert not_money.status_code == 422
    assert "Amount: enter an amount in USD like 12.99." in not_money.text
    assert forged.status_code == 403
    assert (await written(databases))[:2] == (500, 1)


async def test_seller_page_offers_refunds_only_once_the_order_has_shipped(client, databases):
    order = await sold(client, databases, to="paid")
    await sign_in_merchant(client, order.shop.email)

    page = await client.get(order.page)

    assert "/refund" not in page.text and "Cancel with refund" in page.text


async def creator(databases: Databases, handle: str) -> int:
    async with databases.session(GLOBAL_CELL) as s:
        user = await accounts_service.create(
            s,
            email=f"{handle}@example.com",
            password=factories.PASSWORD,
            display_name=handle,
            role="creator",
            passwords=Passwords(databases.settings),
        )
        return (
            await creators.create(
                s, user_id=user.id, handle=handle, display_name=handle, market_code="US"
            )
        ).id


async def test_order_pages_show_who_recommended_a_line_and_what_came_back(client, databases):
    order = await sold(client, databases, to="delivered")
    creator_id = await creator(databases, "maya_styles")
    async with databases.session("main") as s:
        await s.execute(
            update(OrderLine).where(OrderLine.id == order.line_id).values(creator_id=creator_id)
        )
    assert (await refund(client, order, 500)).status_code == 201
    assert (await refund(client, order, 1000, reason="return")).status_code == 201

    await sign_in_shopper(client, order.buyer)
    shopper_page = await client.get(f"/orders/{order.order_id}")
    client.cookies.clear()  # signed out
    await sign_in_merchant(client, order.shop.email)
    shop_page = await client.get(order.page)

    for page in (shopper_page, shop_page):
        assert page.status_code == 200
        assert 'Recommended by <a href="/@maya_styles">@maya_styles</a>' in page.text
        assert "Refunded $15.00" in page.text
        assert "Returned" in page.text
