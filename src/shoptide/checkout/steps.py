"""The units of work of paying for a checkout, each in the session of the shopper's cell.

`checkout.flows` runs them in order around the call to the payment gateway, which no
transaction stays open across: record the checkout, its orders, its reservations and the
intent to charge (a payment "charging" under the checkout's reference), committed before
the card is charged; charge; settle. What a stopped process leaves between the charge and
settling is found by `due_for_recovery` and settled or given up by `recover`, after asking
the gateway (`checkout.flows.expire_stale`).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Update, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import ADDRESS_FIELDS
from shoptide.checkout.models import CartLine, Checkout
from shoptide.checkout.service import (
    Attempt,
    CheckoutResult,
    EmptyCart,
    OpenHook,
    Purchase,
    get_cart,
)
from shoptide.creators import service as creators_service
from shoptide.db import rows_updated, utcnow
from shoptide.inventory import service as inventory_service
from shoptide.money import Money
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order, ShippingAddress
from shoptide.orders.service import LineDraft, OrderSource
from shoptide.payments import service as payments_service


async def with_saved_address(cell: AsyncSession, attempt: Attempt) -> Attempt:
    """The attempt with its saved address read from the shopper's book (the market's country)."""
    if attempt.saved_address_id is None:
        return attempt
    saved = await accounts_service.get_address(
        cell, user_id=attempt.shopper_id, address_id=attempt.saved_address_id
    )
    fields = {name: getattr(saved, name) for name in ADDRESS_FIELDS if name != "country_code"}
    return replace(attempt, address=ShippingAddress(country_code=attempt.market.code, **fields))


async def find(cell: AsyncSession, *, shopper_id: int, key: str) -> CheckoutResult | None:
    """The checkout made earlier under this idempotency key, as a replay."""
    checkout = await cell.scalar(
        select(Checkout).where(Checkout.shopper_id == shopper_id, Checkout.idempotency_key == key)
    )
    if checkout is None:
        return None
    return CheckoutResult(
        checkout,
        list(await orders_service.for_checkout(cell, checkout.id)),
        await payments_service.get_payment(cell, checkout_id=checkout.id),
        replayed=True,
    )


def _drafts_by_shop(
    purchases: Sequence[Purchase],
) -> dict[int, tuple[list[LineDraft], OrderSource | None]]:
    by_shop: dict[int, tuple[list[LineDraft], OrderSource | None]] = {}
    for p in purchases:
        s = p.sellable
        drafts, source = by_shop.setdefault(s.shop_id, ([], None))
        if source is None and p.source is not None:  # an order has one source: the first
            by_shop[s.shop_id] = (drafts, p.source)
        drafts.append(
            LineDraft(
                product_id=s.product_id,
                variant_id=s.variant_id,
                sku=s.sku,
                title=s.title,
                variant_label=s.variant_label,
                unit_price_minor=p.unit_price.amount,
                quantity=p.quantity,
                creator_id=p.touch.creator_id if p.touch else None,
                creator_touched_at=p.touch.touched_at if p.touch else None,
                creator_source=p.touch.source_kind if p.touch else "",
                creator_source_id=p.touch.source_id if p.touch else None,
            )
        )
    return by_shop


async def start(cell: AsyncSession, attempt: Attempt, *, kind: str) -> Checkout:
    """Step 1 begins with the checkout's row. A cart's takes the cart's one slot for a
    pending payment (a unique column) before the cart is read: a second checkout of it
    fails on the slot, or, while one is settling, waits for it and then reads the cart it
    emptied (never lines that were paid for meanwhile)."""
    checkout = Checkout(
        shopper_id=attempt.shopper_id,
        idempotency_key=attempt.key,
        market_code=attempt.market.code,
        currency=attempt.market.currency,
        total_minor=0,
        kind=kind,
        request_fingerprint=attempt.fingerprint,
        open_cart_shopper_id=attempt.shopper_id if kind == "cart" else None,
    )
    cell.add(checkout)
    await cell.flush()
    return checkout


async def record(
    cell: AsyncSession,
    attempt: Attempt,
    checkout: Checkout,
    purchases: Sequence[Purchase],
    *,
    on_open: OpenHook | None = None,
) -> Checkout:
    """Step 1 ends: the started checkout's total, its orders (one per shop) and its
    reservations; hot rows last."""
    if not purchases:
        raise EmptyCart("Your cart is empty.")
    market = attempt.market
    checkout.total_minor = sum(p.unit_price.amount * p.quantity for p in purchases)
    await payments_service.open_payment(
        cell,
        checkout_id=checkout.id,
        reference=checkout.payment_reference,
        amount=Money(checkout.total_minor, checkout.currency),
    )
    for shop_id, (drafts, source) in _drafts_by_shop(purchases).items():
        await orders_service.create(
            cell,
            checkout_id=checkout.id,
            shopper_id=attempt.shopper_id,
            shop_id=shop_id,
            market=market.code,
            currency=market.currency,
            tax_rate_bp=market.tax_rate_bp,
            lines=drafts,
            address=attempt.shipping,
            source=source,
        )
    if on_open is not None:
        await on_open(cell, checkout)
    await cell.flush()  # everything else written before the hot rows are locked
    await inventory_service.reserve(
        cell,
        market=market.code,
        checkout_id=checkout.id,
        expires_at=utcnow() + attempt.ttl,
        items=[
            inventory_service.Take(p.sellable.variant_id, p.quantity, p.label, p.pool)
            for p in purchases
        ],
    )
    return checkout


async def cart_purchases(
    cell: AsyncSession, global_: AsyncSession, attempt: Attempt
) -> list[Purchase]:
    """The shopper's cart as lines to pay for, at today's prices."""
    cart = await get_cart(cell, global_, shopper_id=attempt.shopper_id, market=attempt.market)
    return [
        Purchase(i.sellable, i.quantity, i.sellable.price, i.source, touch=i.touch)
        for i in cart.items
    ]


async def stamped(cell: AsyncSession, attempt: Attempt, purchase: Purchase) -> Purchase:
    """A line bought on the spot is added and paid at once: stamped like a cart line, after
    the touch of the creator whose video or live room it was bought in."""
    shopper_id, product_id = attempt.shopper_id, purchase.sellable.product_id
    if purchase.source is not None and purchase.source_creator_id is not None:
        await creators_service.touch_from_source(
            cell,
            {purchase.source.host_user_id: purchase.source_creator_id},
            shopper_id=shopper_id,
            product_id=product_id,
            kind=purchase.source.kind,
            source_id=purchase.source.id,
            host_user_id=purchase.source.host_user_id,
        )
    touch = await creators_service.in_force(
        cell, shopper_id=shopper_id, product_id=product_id, market=attempt.market
    )
    return replace(purchase, touch=touch)


async def _remove_bought_from_cart(
    cell: AsyncSession, shopper_id: int, orders: Sequence[Order]
) -> None:
    bought = [line.variant_id for order in orders for line in order.lines]
    await cell.execute(
        delete(CartLine).where(CartLine.shopper_id == shopper_id, CartLine.variant_id.in_(bought))
    )


async def _give_up(
    cell: AsyncSession, checkout: Checkout, orders: Sequence[Order], *, note: str
) -> None:
    """An unpaid checkout gives back what it held: stock now, anything else via the event."""
    await orders_service.mark_payment_failed(cell, orders, note=note)
    events.record(cell, events.CheckoutFailed(checkout_id=checkout.id, market=checkout.market_code))
    await inventory_service.release(cell, checkout_id=checkout.id)  # hot rows last


async def _paid(
    cell: AsyncSession,
    checkout: Checkout,
    orders: list[Order],
    outcome: payments_service.ChargeOutcome,
    remember: ShippingAddress | None,
) -> None:
    """The paid checkout's units are sold, its cart lines gone, its new address kept."""
    await inventory_service.consume(cell, checkout_id=checkout.id)
    await orders_service.mark_paid(cell, orders, note=f"Paid by card •••• {outcome.card_last4}")
    if checkout.kind == "cart":
        await _remove_bought_from_cart(cell, checkout.shopper_id, orders)
    if remember is not None:
        await accounts_service.remember_address(
            cell, user_id=checkout.shopper_id, **asdict(remember)
        )


def _leaving_pending(checkout_id: int) -> Update:
    """The one way out of pending_payment: conditional (two processes settle once) and
    freeing the cart for its next checkout."""
    return (
        update(Checkout)
        .where(Checkout.id == checkout_id, Checkout.status == "pending_payment")
        .values(open_cart_shopper_id=None)
    )


async def settle(
    cell: AsyncSession,
    checkout: Checkout,
    outcome: payments_service.ChargeOutcome,
    *,
    remember: ShippingAddress | None = None,
) -> CheckoutResult:
    """Step 3: paid → stock sold, cart emptied, `remember` kept; declined → all put back.

    Idempotent: a checkout settled meanwhile (another process, the recovery sweep) stays
    as it is. A charge for a checkout that is no longer pending is recorded as refunding,
    unless the checkout was paid (then it is that very charge: one reference, one charge)."""
    new_status = "paid" if outcome.succeeded else "failed"
    moved = await rows_updated(
        cell,
        _leaving_pending(checkout.id).values(
            status=new_status, failure_reason=outcome.decline_reason[:200]
        ),
    )
    current = await cell.get_one(Checkout, checkout.id, populate_existing=True)
    payment = await payments_service.record_outcome(
        cell,
        checkout_id=checkout.id,
        outcome=outcome,
        refunding=outcome.succeeded and not moved and current.status != "paid",
    )
    orders = list(await orders_service.for_checkout(cell, checkout.id))
    if moved and outcome.succeeded:
        await _paid(cell, current, orders, outcome, remember)
    elif moved:
        await _give_up(cell, current, orders, note=outcome.decline_reason)
    return CheckoutResult(current, orders, payment)


async def retry(cell: AsyncSession, checkout: Checkout) -> bool:
    """A replayed request sets out to charge its pending checkout again (under the same
    reference: the gateway charges once); False when there is nothing left to charge."""
    return checkout.status == "pending_payment" and await payments_service.retry_payment(
        cell, checkout_id=checkout.id
    )


@dataclass(frozen=True)
class Unsettled:
    """A pending checkout the sweep takes up, and the reference to ask the gateway about
    (None: no intent was recorded, so nothing can have been charged)."""

    checkout_id: int
    reference: str | None


async def due_for_recovery(
    cell: AsyncSession, *, now: datetime, grace: timedelta
) -> list[Unsettled]:
    """Pending checkouts whose charging stopped more than `grace` ago, or whose reservation
    ran out; never one a process is charging now (its last attempt within `grace`)."""
    charging = {
        p.checkout_id: p.reference
        for p in await payments_service.left_charging(cell, before=now - grace)
    }
    out_of_time = set(await inventory_service.expired_checkout_ids(cell, now=now))
    pending = await cell.scalars(
        select(Checkout.id).where(
            Checkout.id.in_(charging.keys() | out_of_time),
            Checkout.status == "pending_payment",
        )
    )
    pending_ids = sorted(pending)
    statuses = await payments_service.statuses(cell, checkout_ids=pending_ids)
    due = []
    for checkout_id in pending_ids:
        if statuses.get(checkout_id) != "charging":
            due.append(Unsettled(checkout_id, None))
        elif checkout_id in charging:
            due.append(Unsettled(checkout_id, charging[checkout_id]))
    return due


async def recover(
    cell: AsyncSession,
    item: Unsettled,
    charge: payments_service.ChargeOutcome | None,
    *,
    before: datetime,
) -> CheckoutResult | None:
    """Finish a checkout its process left pending, from what the gateway said: charged →
    settled (paid, its reservation is still held: only this sweep gives it back); not
    charged → expired, its stock back. None when a process set out to charge it again
    since `before` (it is that process's to finish)."""
    checkout = await cell.get_one(Checkout, item.checkout_id)
    if charge is not None:
        return await settle(cell, checkout, charge)
    if item.reference is not None and not await payments_service.give_up_charging(
        cell, checkout_id=checkout.id, before=before
    ):
        return None
    if not await _expire(cell, checkout.id):
        return None
    orders = list(await orders_service.for_checkout(cell, checkout.id))
    await _give_up(cell, checkout, orders, note=NOT_COMPLETED)
    payment = await payments_service.get_payment(cell, checkout_id=checkout.id)
    return CheckoutResult(checkout, orders, payment)


NOT_COMPLETED = "Payment was not completed in time."


async def _expire(cell: AsyncSession, checkout_id: int) -> bool:
    return bool(
        await rows_updated(
            cell,
            _leaving_pending(checkout_id).values(status="expired", failure_reason=NOT_COMPLETED),
        )
    )


async def stray_reservations(cell: AsyncSession, *, now: datetime) -> list[int]:
    """The settled checkouts that still hold reservations past their time (a process
    stopped between settling and giving them back). Read first, so a sweep with nothing
    to do takes no write lock."""
    expired = await inventory_service.expired_checkout_ids(cell, now=now)
    if not expired:
        return []
    settled = await cell.scalars(
        select(Checkout.id).where(Checkout.id.in_(expired), Checkout.status != "pending_payment")
    )
    return sorted(settled)


async def release_strays(cell: AsyncSession, checkout_ids: Sequence[int]) -> None:
    for checkout_id in checkout_ids:
        await inventory_service.release(cell, checkout_id=checkout_id)


async def open_cart_checkout(cell: AsyncSession, *, shopper_id: int) -> bool:
    """Whether a checkout of the shopper's cart is pending (its payment under way)."""
    found = await cell.scalar(
        select(Checkout.id).where(Checkout.open_cart_shopper_id == shopper_id)
    )
    return found is not None
