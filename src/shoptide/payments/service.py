"""Charging and refunding through the gateway port, with retries for transient failures."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shoptide.db import Databases
from shoptide.errors import InvalidInput
from shoptide.money import Money
from shoptide.payments.gateway import CardDeclined, GatewayUnavailable, PaymentGateway
from shoptide.payments.models import Payment, Refund

RETRY_ATTEMPTS = 3


@dataclass(frozen=True)
class ChargeOutcome:
    succeeded: bool
    gateway_ref: str
    card_last4: str
    attempts: int
    decline_reason: str = ""


def clean_card_number(raw: str) -> str:
    digits = raw.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise InvalidInput("Enter a card number of 12 to 19 digits.")
    return digits


def _retrying() -> AsyncRetrying:
    return AsyncRetrying(
        retry=retry_if_exception_type(GatewayUnavailable),
        stop=stop_after_attempt(RETRY_ATTEMPTS),
        wait=wait_exponential(multiplier=0.05, max=1),
        reraise=True,
    )


async def charge(
    gateway: PaymentGateway, *, reference: str, amount: Money, card_number: str
) -> ChargeOutcome:
    """Charge with retries on transient errors; never raises for a decline."""
    attempts = 0
    try:
        async for attempt in _retrying():
            with attempt:
                attempts += 1
                result = await gateway.charge(
                    reference=reference, amount=amount, card_number=card_number
                )
    except CardDeclined as exc:
        return ChargeOutcome(False, "", card_number[-4:], attempts, str(exc))
    except GatewayUnavailable:
        return ChargeOutcome(
            False,
            "",
            card_number[-4:],
            attempts,
            "The payment service is not answering. Please try again shortly.",
        )
    return ChargeOutcome(True, result.gateway_ref, result.card_last4, attempts)


async def refund_charge(gateway: PaymentGateway, outcome: ChargeOutcome, *, amount: Money) -> str:
    """Give back a whole charge (the checkout it paid for could not be completed)."""
    async for attempt in _retrying():
        with attempt:
            gateway_ref = await gateway.refund(
                reference=f"void-{outcome.gateway_ref}", amount=amount
            )
    return gateway_ref


def _payment_status(outcome: ChargeOutcome, refunding: bool) -> str:
    if not outcome.succeeded:
        return "declined"
    return "refunded" if refunding else "succeeded"


async def record_payment(
    session: AsyncSession,
    *,
    checkout_id: int,
    amount: Money,
    outcome: ChargeOutcome,
    refunding: bool = False,
) -> Payment:
    payment = Payment(
        checkout_id=checkout_id,
        amount_minor=amount.amount,
        currency=amount.currency,
        status=_payment_status(outcome, refunding),
        gateway_ref=outcome.gateway_ref,
        card_last4=outcome.card_last4,
        attempts=outcome.attempts,
        decline_reason=outcome.decline_reason,
    )
    session.add(payment)
    await session.flush()
    return payment


async def get_payment(session: AsyncSession, *, checkout_id: int) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.checkout_id == checkout_id))


async def cancellation_refunds(session: AsyncSession, order_ids: list[int]) -> dict[int, Refund]:
    """The whole-order refund ("order:ID") of each of these orders that was cancelled; line
    refunds ("line-refund:ID") are the orders domain's to show, per line."""
    if not order_ids:
        return {}
    references = [f"order:{order_id}" for order_id in order_ids]
    rows = await session.scalars(select(Refund).where(Refund.reference.in_(references)))
    return {refund.order_id: refund for refund in rows}


async def refund_order(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    cell: str,
    order_id: int,
    checkout_id: int,
    amount: Money,
    reference: str,
) -> None:
    """Give back money on an order once, however often the event is delivered: the whole
    order when it is cancelled ("order:ID"), or one line refund ("line-refund:ID")."""
    async with databases.session(cell, write=False) as session:
        if await session.scalar(select(Refund.id).where(Refund.reference == reference)):
            return
        payment = await get_payment(session, checkout_id=checkout_id)
    if payment is None or payment.status != "succeeded":
        return  # nothing was charged, so nothing to give back
    gateway_reference = f"refund-{payment.gateway_ref}-{reference}"
    async for attempt in _retrying():
        with attempt:
            gateway_ref = await gateway.refund(reference=gateway_reference, amount=amount)
    try:
        async with databases.session(cell) as session:
            session.add(
                Refund(
                    order_id=order_id,
                    reference=reference,
                    amount_minor=amount.amount,
                    currency=amount.currency,
                    gateway_ref=gateway_ref,
                )
            )
    except IntegrityError:
        pass  # a concurrent delivery recorded the same refund (same gateway reference)
