"""Orders and their state machine. Runs on the cell session of the order's market."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide import events
from shoptide.creators import service as creators_service
from shoptide.creators.models import Creator
from shoptide.db import utcnow
from shoptide.errors import InvalidInput, InvalidTransition, NotFound
from shoptide.i18n import N_
from shoptide.inventory import service as inventory_service
from shoptide.markets.service import included_tax
from shoptide.orders.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    ShippingAddress,
)
from shoptide.payments import service as payments_service
from shoptide.payments.models import Refund

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


def event_fields(order: Order) -> _EventFields:
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
            **event_fields(order),
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


@dataclass(frozen=True)
class OrderView:
    """An order as its pages show it: the refund of its cancellation, if any, and the
    creators who recommended its lines, by id."""

    order: Order
    refund: Refund | None
    creators: Mapping[int, Creator] = field(default_factory=dict)


async def views(
    session: AsyncSession, orders: Sequence[Order], *, global_: AsyncSession | None = None
) -> list[OrderView]:
    """The orders (of `session`'s cell) with their cancellation refunds; with the global
    session, the creators who recommended their lines too."""
    refunds = await payments_service.cancellation_refunds(session, [o.id for o in orders])
    creators = await creators_service.by_ids(global_, creator_ids(orders)) if global_ else {}
    return [OrderView(o, refunds.get(o.id), creators) for o in orders]


async def shopper_orders(session: AsyncSession, *, shopper_id: int) -> list[OrderView]:
    return await views(session, await list_for_shopper(session, shopper_id=shopper_id))


async def shopper_order(
    session: AsyncSession, order_id: int, *, shopper_id: int, global_: AsyncSession | None = None
) -> OrderView:
    """The shopper's own order (anyone else's is not found), as views() shows it."""
    order = await get_for_shopper(session, order_id, shopper_id=shopper_id)
    return (await views(session, [order], global_=global_))[0]


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
                **event_fields(order),
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
            **event_fields(order), carrier=order.carrier, tracking_number=tracking_number
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
        events.OrderDelivered(**event_fields(order), delivered_at=order.delivered_at.isoformat()),
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
            **event_fields(order),
            checkout_id=order.checkout_id,
            refund_minor=order.total_minor,
            currency=order.currency,
            reason=reason,
        ),
    )
    await session.flush()
    return order
