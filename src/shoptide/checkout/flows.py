"""Paying for a checkout: the use cases that own their transactions.

No transaction stays open across the call to the payment gateway, so a checkout runs as
short units of work in the shopper's cell (`checkout.steps`): record it with its orders,
its reservations and the intent to charge (a payment "charging" under the checkout's
payment reference), committed before the card is charged; charge (retrying transient
failures under that reference); settle. Whatever a stopped process or a lost database
connection leaves in between, a replay of the key resumes and `expire_stale` finishes
after asking the gateway: each charge ends in a paid order or a refund.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from shoptide.checkout import service, steps
from shoptide.checkout.models import Checkout
from shoptide.checkout.service import (
    Attempt,
    CheckoutPage,
    CheckoutResult,
    EmptyCart,
    OpenHook,
    Purchase,
)
from shoptide.db import Databases, utcnow
from shoptide.errors import Conflict, InvalidInput
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.payments import flows as payments_flows
from shoptide.payments import service as payments_service
from shoptide.payments.gateway import PaymentGateway
from shoptide.settings import GLOBAL_CELL

# Step 1 of a checkout, in one transaction of the cell: record it, its orders, its reservations.
Opener = Callable[[str, Attempt], Awaitable[Checkout]]


async def place(
    databases: Databases, gateway: PaymentGateway, *, attempt: Attempt, card_number: str
) -> CheckoutResult:
    """Turn the cart into paid orders, or leave cart and stock as they were.

    The same idempotency key always returns the same checkout, whatever its outcome; a
    cart has one checkout pending at a time, whatever the number of keys and tabs."""

    async def open_cart(cell: str, attempt: Attempt) -> Checkout:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()  # global before cell, like every request (deps.py)
            async with databases.session(cell) as session:
                checkout = await steps.start(session, attempt, kind="cart")
                purchases = await steps.cart_purchases(session, global_, attempt)
                return await steps.record(session, attempt, checkout, purchases)

    return await _complete(databases, gateway, attempt, card_number, open_cart)


async def buy_now(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    attempt: Attempt,
    purchases: Sequence[Purchase],
    card_number: str,
    on_open: OpenHook | None = None,
) -> CheckoutResult:
    """Pay for these lines at once, leaving the cart alone (a video's or live room's drawer).

    `on_open` runs in the first transaction: it may claim what the price depends on and
    raise to refuse; the CheckoutFailed event tells its owner when to give it back."""

    async def open_direct(cell: str, attempt: Attempt) -> Checkout:
        async with databases.session(cell) as session:
            lines = [await steps.stamped(session, attempt, p) for p in purchases]
            checkout = await steps.start(session, attempt, kind="direct")
            return await steps.record(session, attempt, checkout, lines, on_open=on_open)

    return await _complete(databases, gateway, attempt, card_number, open_direct, purchases)


async def expire_stale(
    databases: Databases, gateway: PaymentGateway, cell: str, *, now: datetime | None = None
) -> int:
    """Finish the checkouts stopped processes left pending, asking the gateway first: a
    charge it made is settled (or refunded when the checkout cannot take it), a checkout it
    never charged expires and gives its stock back. Returns how many it finished."""
    now = now or utcnow()
    before = now - timedelta(seconds=databases.settings.payment_recovery_grace_seconds)
    async with databases.session(cell, write=False) as session:
        due = await steps.due_for_recovery(session, now=now, grace=now - before)
        refunding = await payments_service.left_refunding(session)
        strays = await steps.stray_reservations(session, now=now)
    finished = 0
    for item in due:
        charge = None
        if item.reference is not None:  # outside any transaction: the gateway may be slow
            charge = await payments_service.find_charge(gateway, reference=item.reference)
        async with databases.session(cell) as session:
            result = await steps.recover(session, item, charge, before=before)
        if result is not None:
            finished += 1
            await _give_back_if_refunding(databases, gateway, cell, result)
    for payment in refunding:  # a process stopped between recording a refund and making it
        await payments_flows.give_back_charge(databases, gateway, cell=cell, payment=payment)
    if strays:
        async with databases.session(cell) as session:
            await steps.release_strays(session, strays)
    return finished


async def _complete(
    databases: Databases,
    gateway: PaymentGateway,
    attempt: Attempt,
    card_number: str,
    open_checkout: Opener,
    purchases: Sequence[Purchase] = (),
) -> CheckoutResult:
    """Open (step 1, with the intent to charge), charge (step 2), settle (step 3). A
    replayed key answers its checkout, charging and settling it first if it is pending."""
    cell = databases.settings.cell_of_market(attempt.market.code)
    if not 8 <= len(attempt.key) <= 100:
        raise InvalidInput("The Idempotency-Key must be 8 to 100 characters.")
    card_number = payments_service.clean_card_number(card_number)
    attempt = replace(attempt, fingerprint=service.fingerprint(attempt, card_number, purchases))
    if attempt.saved_address_id is not None:
        async with databases.session(cell, write=False) as session:
            attempt = await steps.with_saved_address(session, attempt)
    if (existing := await _existing(databases, cell, attempt)) is not None:
        return await _resume(databases, gateway, cell, existing, attempt, card_number)
    try:
        checkout = await open_checkout(cell, attempt)
    except (IntegrityError, EmptyCart):
        # the same key's request recorded it first (and may have emptied the cart), or
        # another checkout of this cart is pending
        existing = await _existing(databases, cell, attempt)
        if existing is not None:
            return await _resume(databases, gateway, cell, existing, attempt, card_number)
        await _refuse_second_cart_checkout(databases, cell, attempt)
        raise
    return await _charge_and_settle(databases, gateway, cell, checkout, attempt, card_number)


async def _charge_and_settle(
    databases: Databases,
    gateway: PaymentGateway,
    cell: str,
    checkout: Checkout,
    attempt: Attempt,
    card_number: str,
) -> CheckoutResult:
    outcome = await payments_service.charge(
        gateway,
        reference=checkout.payment_reference,
        amount=Money(checkout.total_minor, checkout.currency),
        card_number=card_number,
    )
    async with databases.session(cell) as session:
        result = await steps.settle(
            session, checkout, outcome, remember=attempt.address_to_remember
        )
    return await _give_back_if_refunding(databases, gateway, cell, result)


async def _give_back_if_refunding(
    databases: Databases, gateway: PaymentGateway, cell: str, result: CheckoutResult
) -> CheckoutResult:
    """A charge that landed after its checkout was given up (expired while the card was
    being charged) goes back to the card."""
    if result.payment is None or result.payment.status != "refunding":
        return result
    payment = await payments_flows.give_back_charge(
        databases, gateway, cell=cell, payment=result.payment
    )
    return replace(result, payment=payment)


async def _resume(
    databases: Databases,
    gateway: PaymentGateway,
    cell: str,
    existing: CheckoutResult,
    attempt: Attempt,
    card_number: str,
) -> CheckoutResult:
    """A replay: the checkout as it ended, or, still pending (its process stopped, or is
    charging now), charged again under its reference and settled."""
    async with databases.session(cell) as session:
        retrying = await steps.retry(session, existing.checkout)
    if not retrying:
        return existing
    result = await _charge_and_settle(
        databases, gateway, cell, existing.checkout, attempt, card_number
    )
    return replace(result, replayed=True)


async def _existing(databases: Databases, cell: str, attempt: Attempt) -> CheckoutResult | None:
    async with databases.session(cell, write=False) as session:
        found = await steps.find(session, shopper_id=attempt.shopper_id, key=attempt.key)
    fingerprint = found.checkout.request_fingerprint if found else ""
    if fingerprint and fingerprint != attempt.fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different request. "
            "Send a new key to make a new payment."
        )
    return found


async def _refuse_second_cart_checkout(databases: Databases, cell: str, attempt: Attempt) -> None:
    async with databases.session(cell, write=False) as session:
        pending = await steps.open_cart_checkout(session, shopper_id=attempt.shopper_id)
    if pending:
        raise Conflict(
            "A payment for this cart is already in progress. Wait a moment and look at your "
            "orders before paying again."
        )


async def checkout_page(databases: Databases, *, shopper_id: int, market: Market) -> CheckoutPage:
    """The checkout form's cart and address book, read in sessions of their own (shown
    again after a payment that did not go through, no session held across the charge)."""
    cell = databases.settings.cell_of_market(market.code)
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()  # global before cell (deps.py)
        async with databases.session(cell, write=False) as session:
            return await service.checkout_page(
                session, global_, shopper_id=shopper_id, market=market
            )
