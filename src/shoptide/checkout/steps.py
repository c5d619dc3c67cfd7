"""The units of work of paying for a checkout, each in the session of the shopper's cell.

`checkout.flows` runs them in order around the call to the payment gateway, which no
transaction stays open across: record the checkout, its orders and its reservations (the
intent, committed before the card is charged); charge; settle. A checkout whose settling
never ran is reconciled by `expire_due`, which gives its stock back.
"""

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import ADDRESS_FIELDS
from shoptide.checkout.models import CartLine, Checkout
from shoptide.checkout.service import (
    Attempt,
    CheckoutResult,
    OpenHook,
    Purchase,
    get_cart,
)
from shoptide.creators import service as creators_service
from shoptide.db import rows_updated, utcnow
from shoptide.errors import InvalidInput
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


async def record(
    cell: AsyncSession,
    attempt: Attempt,
    purchases: Sequence[Purchase],
    *,
    kind: str,
    on_open: OpenHook | None = None,
) -> Checkout:
    """Step 1: the checkout, its orders (one per shop) and its reservations; hot rows last."""
    if not purchases:
        raise InvalidInput("Your cart is empty.")
    market = attempt.market
    checkout = Checkout(
        shopper_id=attempt.shopper_id,
        idempotency_key=attempt.key,
        market_code=market.code,
        currency=market.currency,
        total_minor=sum(p.unit_price.amount * p.quantity for p in purchases),
        kind=kind,
    )
    cell.add(checkout)
    await cell.flush()
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
    attempt: Attempt,
    checkout: Checkout,
    orders: list[Order],
    outcome: payments_service.ChargeOutcome,
) -> None:
    """The paid checkout's units are sold, its cart lines gone, its new address kept."""
    await inventory_service.consume(cell, checkout_id=checkout.id)
    await orders_service.mark_paid(cell, orders, note=f"Paid by card •••• {outcome.card_last4}")
    if checkout.kind == "cart":
        await _remove_bought_from_cart(cell, checkout.shopper_id, orders)
    if (address := attempt.address_to_remember) is not None:
        await accounts_service.remember_address(cell, user_id=attempt.shopper_id, **asdict(address))


async def settle(
    cell: AsyncSession,
    attempt: Attempt,
    checkout: Checkout,
    outcome: payments_service.ChargeOutcome,
) -> CheckoutResult:
    """Step 3: paid → stock sold, cart emptied, address kept; declined → all put back. A
    checkout that expired meanwhile stays expired: its payment is recorded as refunding."""
    new_status = "paid" if outcome.succeeded else "failed"
    moved = await rows_updated(
        cell,
        update(Checkout)
        .where(Checkout.id == checkout.id, Checkout.status == "pending_payment")
        .values(status=new_status, failure_reason=outcome.decline_reason[:200]),
    )
    payment = await payments_service.record_payment(
        cell,
        checkout_id=checkout.id,
        amount=Money(checkout.total_minor, checkout.currency),
        outcome=outcome,
        refunding=outcome.succeeded and not moved,
    )
    orders = list(await orders_service.for_checkout(cell, checkout.id))
    if moved and outcome.succeeded:
        await _paid(cell, attempt, checkout, orders, outcome)
    elif moved:
        await _give_up(cell, checkout, orders, note=outcome.decline_reason)
    refreshed = await cell.get(Checkout, checkout.id, populate_existing=True)
    assert refreshed is not None
    return CheckoutResult(refreshed, orders, payment)


async def expire_due(cell: AsyncSession, *, now: datetime) -> int:
    """Give back the stock of checkouts whose payment never completed; returns how many."""
    expired = 0
    for checkout_id in await inventory_service.expired_checkout_ids(cell, now=now):
        moved = await rows_updated(
            cell,
            update(Checkout)
            .where(Checkout.id == checkout_id, Checkout.status == "pending_payment")
            .values(status="expired", failure_reason="Payment was not completed in time."),
        )
        if not moved:  # paid or failed meanwhile: only stray reservations remain
            await inventory_service.release(cell, checkout_id=checkout_id)
            continue
        checkout = await cell.get_one(Checkout, checkout_id)
        orders = list(await orders_service.for_checkout(cell, checkout_id))
        await _give_up(cell, checkout, orders, note="Payment was not completed in time.")
        expired += 1
    return expired
