"""Charging and refunding through the gateway port, against the built-in test gateway (an
honest fake with a sandbox's fixed cards) and the real database."""

import asyncio

import pytest
from sqlalchemy import select

from shoptide.checkout.models import Checkout
from shoptide.errors import InvalidInput
from shoptide.money import Money
from shoptide.payments import flows as payments_flows
from shoptide.payments import service as payments
from shoptide.payments.gateway import (
    CARD_DECLINED,
    CARD_NEEDS_RETRY,
    CARD_SUCCEEDS,
    GatewayUnavailable,
    TestGateway,
)
from shoptide.payments.models import Payment, Refund
from tests import factories

TEN_DOLLARS = Money(1000, "USD")


class CountingGateway(TestGateway):
    """The test gateway, counting the calls that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.refund_calls: list[str] = []

    async def refund(self, *, reference: str, amount: Money) -> str:
        self.refund_calls.append(reference)
        return await super().refund(reference=reference, amount=amount)


class DownGateway(TestGateway):
    """A gateway that never answers."""

    async def charge(self, *, reference: str, amount: Money, card_number: str):
        raise GatewayUnavailable("timeout")


async def charge(gateway, card: str, reference: str = "checkout-ref-1"):
    return await payments.charge(gateway, reference=reference, amount=TEN_DOLLARS, card_number=card)


async def test_the_success_card_is_charged_at_the_first_attempt():
    outcome = await charge(TestGateway(), CARD_SUCCEEDS)

    assert (outcome.succeeded, outcome.attempts, outcome.card_last4) == (True, 1, "4242")
    assert outcome.gateway_ref.startswith("ch_")


async def test_the_declined_card_is_declined_with_the_issuers_reason_and_not_retried():
    outcome = await charge(TestGateway(), CARD_DECLINED)

    assert (outcome.succeeded, outcome.attempts, outcome.gateway_ref) == (False, 1, "")
    assert outcome.decline_reason == "Your card was declined. Try another card."


async def test_the_flaky_card_fails_once_then_succeeds_on_the_retry():
    outcome = await charge(TestGateway(), CARD_NEEDS_RETRY)

    assert (outcome.succeeded, outcome.attempts) == (True, 2)


async def test_a_gateway_that_never_answers_is_given_up_after_the_retries():
    outcome = await charge(DownGateway(), CARD_SUCCEEDS)

    assert (outcome.succeeded, outcome.attempts) == (False, payments.RETRY_ATTEMPTS)
    assert "not answering" in outcome.decline_reason


async def test_charging_the_same_reference_again_returns_the_first_charge():
    gateway = TestGateway()

    first = await charge(gateway, CARD_SUCCEEDS, reference="same-ref")
    again = await charge(gateway, CARD_SUCCEEDS, reference="same-ref")

    assert again.gateway_ref == first.gateway_ref


def test_card_numbers_are_read_with_spaces_and_dashes_and_refused_otherwise():
    assert payments.clean_card_number("4242 4242-4242 4242") == CARD_SUCCEEDS
    for wrong in ("4242 4242 abcd 4242", "4242 4242"):
        with pytest.raises(InvalidInput, match="12 to 19 digits"):
            payments.clean_card_number(wrong)


# --- payment records and refunds, with a paid checkout ----------------------------------


async def paid_order(client, databases, card: str = CARD_SUCCEEDS) -> tuple[int, int, int]:
    """(order id, checkout id, status code) of one $25.00 checkout through the API."""
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 2500})
    buyer = await factories.shopper(databases)
    response = await factories.buy(client, buyer, item.skus[0], card=card)
    body = response.json() if response.status_code != 402 else response.json()["checkout"]
    return body["orders"][0]["id"], body["id"], response.status_code


async def payment_of(databases, checkout_id: int) -> Payment:
    async with databases.session("main", write=False) as s:
        payment = await payments.get_payment(s, checkout_id=checkout_id)
    assert payment is not None
    return payment


async def refunds(databases) -> list[tuple[int, str, int, str]]:
    async with databases.session("main", write=False) as s:
        rows = await s.scalars(select(Refund).order_by(Refund.id))
        return [(r.order_id, r.reference, r.amount_minor, r.status) for r in rows]


async def test_a_paid_checkout_records_its_payment_without_the_card_number(client, databases):
    _, checkout_id, status = await paid_order(client, databases, card=CARD_NEEDS_RETRY)

    payment = await payment_of(databases, checkout_id)
    assert status == 201
    assert (payment.status, payment.amount_minor, payment.currency) == ("succeeded", 2500, "USD")
    assert (payment.card_last4, payment.attempts) == ("0119", 2)
    assert payment.gateway_ref.startswith("ch_")


async def test_a_declined_checkout_records_the_decline_and_its_reason(client, databases):
    _, checkout_id, status = await paid_order(client, databases, card=CARD_DECLINED)

    payment = await payment_of(databases, checkout_id)
    assert status == 402
    assert (payment.status, payment.gateway_ref) == ("declined", "")
    assert payment.decline_reason == "Your card was declined. Try another card."


async def test_a_refund_is_made_once_per_reference_however_often_it_is_asked(client, databases):
    order_id, checkout_id, _ = await paid_order(client, databases)
    gateway = CountingGateway()

    for _ in range(2):
        await payments_flows.refund_order(
            databases,
            gateway,
            cell="main",
            order_id=order_id,
            checkout_id=checkout_id,
            amount=Money(700, "USD"),
            reference=f"line-refund:{order_id}",
        )

    assert await refunds(databases) == [(order_id, f"line-refund:{order_id}", 700, "succeeded")]
    assert len(gateway.refund_calls) == 1


async def test_refunds_asked_at_the_same_time_record_one_row_and_refund_once(client, databases):
    order_id, checkout_id, _ = await paid_order(client, databases)
    gateway = TestGateway()

    await asyncio.gather(
        *(
            payments_flows.refund_order(
                databases,
                gateway,
                cell="main",
                order_id=order_id,
                checkout_id=checkout_id,
                amount=Money(2500, "USD"),
                reference=f"order:{order_id}",
            )
            for _ in range(3)
        )
    )

    assert await refunds(databases) == [(order_id, f"order:{order_id}", 2500, "succeeded")]
    assert len(gateway._refunds) == 1  # the gateway's own idempotency: one refund id


async def test_different_references_refund_separately(client, databases):
    order_id, checkout_id, _ = await paid_order(client, databases)
    gateway = CountingGateway()

    for reference in ("line-refund:1", "line-refund:2"):
        await payments_flows.refund_order(
            databases,
            gateway,
            cell="main",
            order_id=order_id,
            checkout_id=checkout_id,
            amount=Money(500, "USD"),
            reference=reference,
        )

    assert [r[1:3] for r in await refunds(databases)] == [
        ("line-refund:1", 500),
        ("line-refund:2", 500),
    ]
    assert len(set(gateway.refund_calls)) == 2


async def test_nothing_is_refunded_on_a_checkout_that_was_never_charged(client, databases):
    order_id, checkout_id, _ = await paid_order(client, databases, card=CARD_DECLINED)
    gateway = CountingGateway()

    await payments_flows.refund_order(
        databases,
        gateway,
        cell="main",
        order_id=order_id,
        checkout_id=checkout_id,
        amount=Money(2500, "USD"),
        reference=f"order:{order_id}",
    )

    assert await refunds(databases) == []
    assert gateway.refund_calls == []
    async with databases.session("main", write=False) as s:
        assert (await s.get(Checkout, checkout_id)).status == "failed"
