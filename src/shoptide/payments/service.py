"""Charging and refunding through the gateway port, with retries for transient failures."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shoptide.db import rows_updated, upsert, utcnow
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


async def _refund(gateway: PaymentGateway, *, reference: str, amount: Money) -> str:
    """One refund at the gateway, retrying transient failures under the same reference (so
    the gateway refunds once); returns the gateway's refund id."""
    async for attempt in _retrying():
        with attempt:
            gateway_ref = await gateway.refund(reference=reference, amount=amount)
    return gateway_ref


async def find_charge(gateway: PaymentGateway, *, reference: str) -> ChargeOutcome | None:
    """The charge the gateway made under our reference, as an outcome; None when it made
    none. Transient failures are retried, then raised: "don't know" is never "not charged"."""
    async for attempt in _retrying():
        with attempt:
            found = await gateway.find(reference)
    if found is None:
        return None
    return ChargeOutcome(True, found.gateway_ref, found.card_last4, attempts=0)


async def void_charge(gateway: PaymentGateway, payment: Payment) -> str:
    """Give back a whole charge (the checkout it paid for could not be completed)."""
    amount = Money(payment.amount_minor, payment.currency)
    return await _refund(gateway, reference=f"void-{payment.gateway_ref}", amount=amount)


async def open_payment(
    session: AsyncSession, *, checkout_id: int, reference: str, amount: Money
) -> Payment:
    """The intent to charge, written (and committed by the caller) before the gateway is
    called, so a charge whose answer is lost can still be found under `reference`."""
    payment = Payment(
        checkout_id=checkout_id,
        amount_minor=amount.amount,
        currency=amount.currency,
        status="charging",
        reference=reference,
        attempted_at=utcnow(),
        attempts=0,
    )
    session.add(payment)
    await session.flush()
    return payment


async def retry_payment(session: AsyncSession, *, checkout_id: int) -> bool:
    """Set out to charge a payment again (a replayed request); False when it is no longer
    charging (settled, or given up by the recovery sweep meanwhile)."""
    return bool(
        await rows_updated(
            session,
            update(Payment)
            .where(Payment.checkout_id == checkout_id, Payment.status == "charging")
            .values(attempted_at=utcnow()),
        )
    )


def _payment_status(outcome: ChargeOutcome, refunding: bool) -> str:
    if not outcome.succeeded:
        return "declined"
    return "refunding" if refunding else "succeeded"


async def record_outcome(
    session: AsyncSession, *, checkout_id: int, outcome: ChargeOutcome, refunding: bool = False
) -> Payment:
    """What came of charging: the first outcome recorded stays (two processes settling the
    same checkout leave one payment). A charge that lands after the payment was given up
    as not charged is recorded too: it has to be refunded."""
    await session.execute(
        update(Payment)
        .where(
            Payment.checkout_id == checkout_id,
            Payment.status.in_(("charging", "not_charged")),
        )
        .values(
            status=_payment_status(outcome, refunding),
            gateway_ref=outcome.gateway_ref,
            card_last4=outcome.card_last4,
            attempts=Payment.attempts + outcome.attempts,
            decline_reason=outcome.decline_reason,
        )
    )
    return await _payment_of(session, checkout_id)


async def _payment_of(session: AsyncSession, checkout_id: int) -> Payment:
    """The checkout's payment as the database has it now (read after an UPDATE)."""
    return (
        await session.scalars(
            select(Payment)
            .where(Payment.checkout_id == checkout_id)
            .execution_options(populate_existing=True)
        )
    ).one()


async def give_up_charging(session: AsyncSession, *, checkout_id: int, before: datetime) -> bool:
    """Record that no charge was made, unless a process set out to charge it again since
    `before` (then it is left to that process); True when recorded."""
    return bool(
        await rows_updated(
            session,
            update(Payment)
            .where(
                Payment.checkout_id == checkout_id,
                Payment.status == "charging",
                Payment.attempted_at <= before,
            )
            .values(status="not_charged"),
        )
    )


async def mark_refunded(session: AsyncSession, *, checkout_id: int) -> Payment:
    await session.execute(
        update(Payment)
        .where(Payment.checkout_id == checkout_id, Payment.status == "refunding")
        .values(status="refunded")
    )
    return await _payment_of(session, checkout_id)


async def left_charging(session: AsyncSession, *, before: datetime) -> list[Payment]:
    """Payments still charging whose last attempt started before `before`: their process
    stopped (or lost its database) between the intent and the outcome."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.status == "charging", Payment.attempted_at <= before)
        .order_by(Payment.id)
    )
    return list(rows)


async def left_refunding(session: AsyncSession) -> list[Payment]:
    """Charges recorded as to be given back whose refund was not confirmed."""
    rows = await session.scalars(
        select(Payment).where(Payment.status == "refunding").order_by(Payment.id)
    )
    return list(rows)


async def statuses(session: AsyncSession, *, checkout_ids: Sequence[int]) -> dict[int, str]:
    """The payment status of each of these checkouts that has a payment (one query)."""
    if not checkout_ids:
        return {}
    rows = await session.execute(
        select(Payment.checkout_id, Payment.status).where(Payment.checkout_id.in_(checkout_ids))
    )
    return {checkout_id: status for checkout_id, status in rows}


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


async def refundable_payment(
    session: AsyncSession, *, checkout_id: int, reference: str
) -> Payment | None:
    """The succeeded payment to give money back from under `reference`; None when that
    refund is recorded already or nothing was charged."""
    if await session.scalar(select(Refund.id).where(Refund.reference == reference)):
        return None
    payment = await get_payment(session, checkout_id=checkout_id)
    return payment if payment is not None and payment.status == "succeeded" else None


async def refund_payment(
    gateway: PaymentGateway, payment: Payment, *, amount: Money, reference: str
) -> str:
    """Give back `amount` of a payment under our `reference` ("order:ID", "line-refund:ID")."""
    return await _refund(
        gateway, reference=f"refund-{payment.gateway_ref}-{reference}", amount=amount
    )


async def record_refund(
    session: AsyncSession, *, order_id: int, reference: str, amount: Money, gateway_ref: str
) -> None:
    """Record money given back, once per reference: a concurrent delivery of the same event
    recording it first leaves its row (insert-or-ignore on the unique reference)."""
    await session.execute(
        upsert(session, Refund)
        .values(
            order_id=order_id,
            reference=reference,
            amount_minor=amount.amount,
            currency=amount.currency,
            status="succeeded",
            gateway_ref=gateway_ref,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
