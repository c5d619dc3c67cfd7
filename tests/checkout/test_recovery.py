"""Charges whose answer was lost (the process died, the database went away) end in a paid
order or a refund: a replay of the key resumes the checkout, the sweep asks the gateway."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shoptide.checkout import flows as checkout_flows
from shoptide.checkout import service as checkout_service
from shoptide.checkout import steps
from shoptide.checkout.models import Checkout
from shoptide.db import utcnow
from shoptide.events import OutboxEvent
from shoptide.inventory.models import Reservation, Stock
from shoptide.markets import service as markets_service
from shoptide.orders.models import Order
from shoptide.payments import service as payments_service
from shoptide.payments.gateway import TestGateway
from shoptide.payments.models import Payment
from tests import factories

CARD = "4242424242424242"


class ProcessDied(Exception):
    """Stands for the process stopping: nothing after it runs."""


class LostAnswerGateway(TestGateway):
    """Charges the card, then the answer never reaches the app (until it answers again)."""

    answering = False

    async def charge(self, **kwargs):
        charge = await super().charge(**kwargs)
        if not self.answering:
            raise ProcessDied
        return charge


class NeverReachedGateway(TestGateway):
    """The process stops before the gateway is called."""

    async def charge(self, **kwargs):
        raise ProcessDied


class RefundLostGateway(TestGateway):
    """Expires the checkout while charging; the first refund's answer is lost."""

    def __init__(self, databases) -> None:
        super().__init__()
        self.databases = databases
        self.refund_tries = 0

    async def charge(self, **kwargs):
        later = utcnow() + timedelta(hours=1)
        await checkout_flows.expire_stale(self.databases, self, "main", now=later)
        return await super().charge(**kwargs)

    async def refund(self, *, reference, amount):
        self.refund_tries += 1
        gateway_ref = await super().refund(reference=reference, amount=amount)
        if self.refund_tries == 1:
            raise ProcessDied
        return gateway_ref


def after_grace(databases):
    return utcnow() + timedelta(seconds=databases.settings.payment_recovery_grace_seconds + 1)


async def cart_attempt(databases, key: str = "recover-key-1"):
    """A shopper with 2 of 4 units in the cart, and the attempt to pay for them."""
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1500}, stock={"US": 4})
    buyer = await factories.shopper(databases)
    async with databases.session("main") as s, databases.session("global", write=False) as g:
        market = await markets_service.get(g, "US")
        await checkout_service.set_quantity(
            s, g, shopper_id=buyer.id, market=market, sku=item.skus[0], quantity=2
        )
    return checkout_service.Attempt(
        buyer.id,
        market,
        key,
        checkout_service.ShippingAddress("A", "1 St", "", "Town", "1", "US", ""),
        timedelta(minutes=15),
    )


async def place(databases, gateway, attempt):
    return await checkout_flows.place(databases, gateway, attempt=attempt, card_number=CARD)


async def books(databases):
    """(checkout status, payment status, shelf, reserved units, paid orders)."""
    async with databases.session("main", write=False) as s:
        return (
            await s.scalar(select(Checkout.status)),
            await s.scalar(select(Payment.status)),
            await s.scalar(select(Stock.available)),
            await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))),
            await s.scalar(select(func.count()).where(Order.status == "paid")),
        )


async def test_a_charge_whose_answer_was_lost_is_settled_by_the_sweep(databases):
    attempt = await cart_attempt(databases)
    gateway = LostAnswerGateway()
    with pytest.raises(ProcessDied):
        await place(databases, gateway, attempt)
    assert await books(databases) == ("pending_payment", "charging", 2, 2, 0)

    assert await checkout_flows.expire_stale(databases, gateway, "main") == 0  # in grace
    assert (
        await checkout_flows.expire_stale(databases, gateway, "main", now=after_grace(databases))
        == 1
    )

    assert await books(databases) == ("paid", "succeeded", 2, 0, 1)
    async with databases.session("main", write=False) as s:
        checkout = await s.scalar(select(Checkout))
        payment = await s.scalar(select(Payment))
    assert payment.gateway_ref == (await gateway.find(checkout.payment_reference)).gateway_ref


async def test_replaying_the_key_resumes_a_checkout_its_process_left_pending(databases):
    attempt = await cart_attempt(databases)
    gateway = LostAnswerGateway()
    with pytest.raises(ProcessDied):
        await place(databases, gateway, attempt)

    gateway.answering = True
    resumed = await place(databases, gateway, attempt)

    assert (resumed.paid, resumed.replayed) == (True, True)
    assert len(gateway._charges) == 1  # charged again under the same reference: once
    assert await books(databases) == ("paid", "succeeded", 2, 0, 1)


async def test_a_checkout_that_was_never_charged_expires_and_gives_its_stock_back(databases):
    attempt = await cart_attempt(databases)
    gateway = NeverReachedGateway()
    with pytest.raises(ProcessDied):
        await place(databases, gateway, attempt)

    assert (
        await checkout_flows.expire_stale(databases, gateway, "main", now=after_grace(databases))
        == 1
    )

    assert await books(databases) == ("expired", "not_charged", 4, 0, 0)
    again = await place(databases, TestGateway(), attempt)  # the replay tells how it ended
    assert (again.checkout.status, again.replayed) == ("expired", True)


async def test_a_refund_whose_answer_was_lost_is_made_by_the_sweep(databases):
    attempt = await cart_attempt(databases)
    gateway = RefundLostGateway(databases)
    with pytest.raises(ProcessDied):
        await place(databases, gateway, attempt)
    assert await books(databases) == ("expired", "refunding", 4, 0, 0)

    await checkout_flows.expire_stale(databases, gateway, "main")

    assert await books(databases) == ("expired", "refunded", 4, 0, 0)
    assert len(gateway._refunds) == 1  # asked twice, refunded once (one reference)


async def test_two_processes_settling_one_checkout_leave_one_paid_order_and_one_payment(
    databases,
):
    attempt = await cart_attempt(databases)
    gateway = LostAnswerGateway()
    with pytest.raises(ProcessDied):
        await place(databases, gateway, attempt)
    async with databases.session("main", write=False) as s:
        checkout = await s.scalar(select(Checkout))
    outcome = await payments_service.find_charge(gateway, reference=checkout.payment_reference)

    async def settle():
        async with databases.session("main") as s:
            return await steps.settle(s, checkout, outcome)

    results = await asyncio.gather(settle(), settle())

    assert [r.paid for r in results] == [True, True]
    assert await books(databases) == ("paid", "succeeded", 2, 0, 1)
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(func.count()).select_from(Payment)) == 1
        paid_events = select(func.count()).where(OutboxEvent.type == "OrderPaid")
        assert await s.scalar(paid_events) == 1


async def test_units_a_settled_checkout_still_holds_go_back_to_the_shelf(databases):
    attempt = await cart_attempt(databases)
    declined = await checkout_flows.place(
        databases, TestGateway(), attempt=attempt, card_number="4000000000000002"
    )
    async with databases.session("main") as s:  # left behind by a process that stopped
        stock = await s.scalar(select(Stock))
        stock.available -= 1
        s.add(
            Reservation(
                stock_id=stock.id,
                checkout_id=declined.checkout.id,
                quantity=1,
                expires_at=utcnow() - timedelta(minutes=1),
            )
        )

    await checkout_flows.expire_stale(databases, TestGateway(), "main")

    assert await books(databases) == ("failed", "declined", 4, 0, 0)
