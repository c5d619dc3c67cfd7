"""Paying for a checkout: the use cases that own their transactions.

No transaction stays open across the call to the payment gateway, so a checkout runs as
short units of work in the shopper's cell (`checkout.steps`): record it with its orders and
reservations, the intent, committed before the card is charged; charge (retrying transient
failures under the checkout's payment reference); settle. A charge that lands after the
checkout expired is refunded; a checkout whose settling never ran is expired by the sweep.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from shoptide.checkout import service, steps
from shoptide.checkout.models import Checkout
from shoptide.checkout.service import Attempt, CheckoutPage, CheckoutResult, OpenHook, Purchase
from shoptide.db import Databases, utcnow
from shoptide.errors import InvalidInput
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.payments import service as payments_service
from shoptide.payments.gateway import PaymentGateway
from shoptide.settings import GLOBAL_CELL

# Step 1 of a checkout, in one transaction of the cell: record it, its orders, its reservations.
Opener = Callable[[str, Attempt], Awaitable[Checkout]]


async def place(
    databases: Databases, gateway: PaymentGateway, *, attempt: Attempt, card_number: str
) -> CheckoutResult:
    """Turn the cart into paid orders, or leave cart and stock as they were.

    The same idempotency key always returns the same checkout, whatever its outcome.
    """

    async def open_cart(cell: str, attempt: Attempt) -> Checkout:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()  # global before cell, like every request (deps.py)
            async with databases.session(cell) as session:
                purchases = await steps.cart_purchases(session, global_, attempt)
                return await steps.record(session, attempt, purchases, kind="cart")

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
            return await steps.record(session, attempt, lines, kind="direct", on_open=on_open)

    return await _complete(databases, gateway, attempt, card_number, open_direct)


async def expire_stale(databases: Databases, cell: str, *, now: datetime | None = None) -> int:
    """Give back the stock of checkouts whose payment never completed; returns how many."""
    async with databases.session(cell) as session:
        return await steps.expire_due(session, now=now or utcnow())


async def _complete(
    databases: Databases,
    gateway: PaymentGateway,
    attempt: Attempt,
    card_number: str,
    open_checkout: Opener,
) -> CheckoutResult:
    """Open (step 1), charge (step 2), settle (step 3); replays an idempotency key."""
    cell = databases.settings.cell_of_market(attempt.market.code)
    if attempt.saved_address_id is not None:
        async with databases.session(cell, write=False) as session:
            attempt = await steps.with_saved_address(session, attempt)
    if not 8 <= len(attempt.key) <= 100:
        raise InvalidInput("The Idempotency-Key must be 8 to 100 characters.")
    card_number = payments_service.clean_card_number(card_number)
    if (existing := await _existing(databases, cell, attempt)) is not None:
        return existing
    try:
        checkout = await open_checkout(cell, attempt)
    except IntegrityError:
        # a concurrent request with the same key created it first
        existing = await _existing(databases, cell, attempt)
        if existing is None:
            raise
        return existing
    amount = Money(checkout.total_minor, checkout.currency)
    outcome = await payments_service.charge(
        gateway, reference=checkout.payment_reference, amount=amount, card_number=card_number
    )
    async with databases.session(cell) as session:
        result = await steps.settle(session, attempt, checkout, outcome)
    if outcome.succeeded and not result.paid:
        # the reservation expired while the card was being charged: give the money back
        await payments_service.refund_charge(gateway, outcome, amount=amount)
    return result


async def _existing(databases: Databases, cell: str, attempt: Attempt) -> CheckoutResult | None:
    async with databases.session(cell, write=False) as session:
        return await steps.find(session, shopper_id=attempt.shopper_id, key=attempt.key)


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
