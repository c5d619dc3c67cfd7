"""Orders and their state machine. Runs on the cell session of the order's market."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide import events
from shoptide.db import Databases, rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from shoptide.i18n import N_
from shoptide.inventory import service as inventory_service
from shoptide.markets.models import Market
from shoptide.markets.service import included_tax
from shoptide.money import Money
from shoptide.orders.models import (
    REFUND_REASONS,
    Order,
    OrderLine,
    OrderLineRefund,
    OrderStatusChange,
    ShippingAddress,
)

# status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "payment_failed"}),
    "paid": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset(),
    "payment_failed": frozenset(),
    "cancelled": frozenset(),
}
STATUS_LABELS = {  # English message ids; templates translate them at render time
    "pending_payment": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "payment_failed": N_("Payment failed"),
    "confirmed": N_("Confirmed"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}
ACTION_VERBS = {
    "confirmed": "confirm",
    "shipped": "ship",
    "cancelled": "cancel",
    "delivered": "mark delivered",
    "paid": "mark paid",
}


@dataclass(frozen=True)
class OrderSource:
    """Where a purchase started, for attribution: a video or a live room, and its host."""

    kind: str  # "video" | "live"
    id: int
    host_user_id: int


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_label: str
    unit_price_minor: int
    quantity: int
    # the creator touch stamped at add-to-cart (affiliate attribution), if any
    creator_id: int | None = None
    creator_touched_at: datetime | None = None
    creator_source: str = ""
    creator_source_id: int | None = None


def _transition(order: Order, to_status: str, note: str = "") -> None:
    if to_status not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            f"Order #{order.id} is {STATUS_LABELS[order.status].lower()}; "
            f"it can't be {STATUS_LABELS[to_status].lower()} now."
        )
    order.history.append(
        OrderStatusChange(from_status=order.status, to_status=to_status, note=note)
    )
    order.status = to_status


class _EventFields(TypedDict):
    order_id: int
    shop_id: int
    market: str


def _event_fields(order: Order) -> _EventFields:
    return {"order_id": order.id, "shop_id": order.shop_id, "market": order.market_code}


async def create(
    session: AsyncSession,
    *,
    checkout_id: int,
    shopper_id: int,
    shop_id: int,
    market: str,
    currency: str,
    tax_rate_bp: int,
    lines: Sequence[LineDraft],
    address: ShippingAddress,
    source: OrderSource | None = None,
) -> Order:
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    order = Order(
        checkout_id=checkout_id,
        shopper_id=shopper_id,
        shop_id=shop_id,
        market_code=market,
        currency=currency,
        subtotal_minor=subtotal,
        tax_minor=included_tax(subtotal, tax_rate_bp),
        total_minor=subtotal,
        status="pending_payment",
        shipping=address,
        source_kind=source.kind if source else "",
        source_id=source.id if source else None,
        source_host_id=source.host_user_id if source else None,
        lines=[
            OrderLine(**line.__dict__, line_total_minor=line.unit_price_minor * line.quantity)
            for line in lines
        ],
        history=[
            OrderStatusChange(from_status=None, to_status="pending_payment", note="Order placed")
        ],
    )
    session.add(order)
    await session.flush()
    events.record(
        session,
        events.OrderPlaced(
            **_event_fields(order),
            total_minor=order.total_minor,
            currency=order.currency,
            source_kind=order.source_kind,
            source_id=order.source_id,
            source_host_id=order.source_host_id,
        ),
    )
    return order


def _with_details() -> Select[Order]:
    return select(Order).options(
        selectinload(Order.lines).selectinload(OrderLine.refunds), selectinload(Order.history)
    )


async def get(session: AsyncSession, order_id: int) -> Order:
    """Any order of the session's cell with its lines, their refunds and its history (for
    background work; routes use the owner-checked getters)."""
    order = await session.scalar(_with_details().where(Order.id == order_id))
    if order is None:
        raise NotFound(f"Order #{order_id} not found.")
    return order


def creator_ids(orders: Sequence[Order]) -> set[int]:
    """The creators who recommended lines of these orders (to show "Recommended by")."""
    return {line.creator_id for order in orders for line in order.lines if line.creator_id}


async def for_checkout(session: AsyncSession, checkout_id: int) -> Sequence[Order]:
    return (
        await session.scalars(
            _with_details().where(Order.checkout_id == checkout_id).order_by(Order.id)
        )
    ).all()


async def mark_paid(session: AsyncSession, orders: Sequence[Order], *, note: str) -> None:
    for order in orders:
        _transition(order, "paid", note)
        events.record(
            session,
            events.OrderPaid(
                **_event_fields(order),
                total_minor=order.total_minor,
                currency=order.currency,
                items=tuple((line.product_id, line.quantity) for line in order.lines),
                shopper_id=order.shopper_id,
                source_kind=order.source_kind,
                source_id=order.source_id,
            ),
        )
    await session.flush()


async def mark_payment_failed(session: AsyncSession, orders: Sequence[Order], *, note: str) -> None:
    for order in orders:
        _transition(order, "payment_failed", note)
    await session.flush()


async def list_for_shopper(
    session: AsyncSession, *, shopper_id: int, limit: int = 50
) -> Sequence[Order]:
    return (
        await session.scalars(
            _with_details()
            .where(Order.shopper_id == shopper_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    ).all()


async def get_for_shopper(session: AsyncSession, order_id: int, *, shopper_id: int) -> Order:
    order = await session.scalar(_with_details().where(Order.id == order_id))
    if order is None or order.shopper_id != shopper_id:
        raise NotFound(f"Order #{order_id} not found.")
    return order


async def list_for_shop(
    session: AsyncSession,
    *,
    shop_id: int,
    status: str | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> Sequence[Order]:
    query = _with_details().where(Order.shop_id == shop_id)
    if status:
        query = query.where(Order.status == status)
    if before:
        query = query.where(Order.created_at < before)
    return (
        await session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    ).all()


@dataclass
class ShopOrders:
    orders: list[Order]
    older_than: datetime | None  # pass as `before` for the next page; None on the last one


async def shop_orders_page(
    databases: Databases,
    *,
    shop_id: int,
    status: str | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> ShopOrders:
    """A shop's newest orders from every cell, merged: one page, keyed by placing time."""
    found: list[Order] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            found += await list_for_shop(
                session, shop_id=shop_id, status=status, before=before, limit=limit + 1
            )
    found.sort(key=lambda order: (order.created_at, order.id), reverse=True)
    page = found[:limit]
    return ShopOrders(page, page[-1].created_at if len(found) > limit else None)


async def count_by_status(session: AsyncSession, *, shop_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Order.status, func.count()).where(Order.shop_id == shop_id).group_by(Order.status)
    )
    return dict(rows.all())


async def get_for_shop(session: AsyncSession, order_id: int, *, shop_id: int, market: str) -> Order:
    """The shop's own order in the market; order ids are per cell, so the market is part of
    the reference."""
    order = await session.scalar(_with_details().where(Order.id == order_id))
    if order is None or order.shop_id != shop_id or order.market_code != market.upper():
        raise NotFound(f"Order #{order_id} is not one of your shop's orders.")
    return order


async def confirm(session: AsyncSession, order: Order) -> Order:
    _transition(order, "confirmed", "Confirmed by the shop")
    await session.flush()
    return order


async def ship(session: AsyncSession, order: Order, *, carrier: str, tracking_number: str) -> Order:
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not tracking_number or len(tracking_number) > 80:
        raise InvalidInput("Enter the parcel's tracking number (up to 80 characters).")
    _transition(order, "shipped", f"{carrier or 'Carrier'} {tracking_number}")
    order.carrier, order.tracking_number = carrier[:60], tracking_number
    events.record(
        session,
        events.OrderShipped(
            **_event_fields(order), carrier=order.carrier, tracking_number=tracking_number
        ),
    )
    await session.flush()
    return order


async def deliver(session: AsyncSession, order: Order, *, now: datetime | None = None) -> Order:
    """The parcel arrived: the market's return window starts now."""
    _transition(order, "delivered", "Delivered")
    order.delivered_at = now or utcnow()
    events.record(
        session,
        events.OrderDelivered(**_event_fields(order), delivered_at=order.delivered_at.isoformat()),
    )
    await session.flush()
    return order


async def cancel(session: AsyncSession, order: Order, *, reason: str) -> Order:
    """Cancel a paid order: stock goes back now; the refund follows from OrderCancelled."""
    reason = reason.strip()[:200] or "Cancelled by the shop"
    _transition(order, "cancelled", reason)
    await inventory_service.restock(
        session,
        items=[(line.variant_id, line.quantity) for line in order.lines],
        market=order.market_code,
    )
    events.record(
        session,
        events.OrderCancelled(
            **_event_fields(order),
            checkout_id=order.checkout_id,
            refund_minor=order.total_minor,
            currency=order.currency,
            reason=reason,
        ),
    )
    await session.flush()
    return order


REFUNDABLE_STATUSES = frozenset({"shipped", "delivered"})


def _check_refundable(order: Order) -> None:
    if order.status in ("paid", "confirmed"):
        raise Conflict(f"Order #{order.id} is not shipped yet: cancel it to refund everything.")
    if order.status not in REFUNDABLE_STATUSES:
        raise Conflict(
            f"Order #{order.id} is {STATUS_LABELS[order.status].lower()}; "
            "there is nothing to refund on it."
        )


def _check_return_window(order: Order, *, market: Market, now: datetime) -> None:
    """A return is taken back only after delivery, within the market's return window."""
    if order.delivered_at is None:
        raise InvalidInput(
            f"Order #{order.id} is not delivered yet, so nothing can come back: "
            "record a refund instead."
        )
    closed = order.delivered_at + timedelta(days=market.return_window_days)
    if now > closed:
        raise InvalidInput(
            f"The return window of order #{order.id} closed on {closed.date().isoformat()} "
            f"({market.return_window_days} days after delivery)."
        )


def _too_much(line: OrderLine, currency: str, locale: str) -> InvalidInput:
    left = Money(line.line_total_minor - line.refunded_minor, currency)
    return InvalidInput(f"You can refund at most {left.format(locale)} on this line.")


async def refund_line(
    session: AsyncSession,
    order: Order,
    *,
    market: Market,
    line_id: int,
    amount_minor: int,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> OrderLineRefund:
    """Give back money on one line of a shipped or delivered order: a partial or whole
    refund ("refund"), or a return received within the market's window ("return"). The
    order's status stays as it is; the gateway refund follows from OrderLineRefunded."""
    _check_refundable(order)
    line = next((li for li in order.lines if li.id == line_id), None)
    if line is None:
        raise NotFound(f"Order #{order.id} has no line {line_id}.")
    if reason not in REFUND_REASONS:
        raise InvalidInput("The reason is either a refund or a return.")
    if reason == "return":
        _check_return_window(order, market=market, now=now or utcnow())
    if amount_minor < 1:
        raise InvalidInput("Enter an amount to refund above zero.")
    if amount_minor > line.line_total_minor - line.refunded_minor:
        raise _too_much(line, order.currency, market.locale)
    # decided in SQL: of two refunds racing for the same rest of a line, one gets nothing
    if not await rows_updated(
        session,
        update(OrderLine)
        .where(
            OrderLine.id == line.id,
            OrderLine.refunded_minor + amount_minor <= OrderLine.line_total_minor,
        )
        .values(refunded_minor=OrderLine.refunded_minor + amount_minor)
        .execution_options(synchronize_session="fetch"),
    ):
        await session.refresh(line, ["refunded_minor"])
        raise _too_much(line, order.currency, market.locale)
    refund = OrderLineRefund(
        order_id=order.id,
        order_line_id=line.id,
        amount_minor=amount_minor,
        reason=reason,
        note=note.strip()[:300],
    )
    line.refunds.append(refund)
    given = Money(amount_minor, order.currency).format(market.locale)
    summary = (
        f"Return received: {line.title} ({given} refunded)"
        if reason == "return"
        else f"Refunded {given} on {line.title}"
    )
    order.history.append(
        OrderStatusChange(from_status=order.status, to_status=order.status, note=summary[:300])
    )
    await session.flush()
    events.record(
        session,
        events.OrderLineRefunded(
            **_event_fields(order),
            checkout_id=order.checkout_id,
            order_line_id=line.id,
            refund_id=refund.id,
            amount_minor=amount_minor,
            currency=order.currency,
            reason=reason,
        ),
    )
    return refund
