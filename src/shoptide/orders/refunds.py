"""Money back on one line of a shipped or delivered order: a partial or whole refund, or a
return received within the market's window. The order keeps its status; the gateway refund
follows from OrderLineRefunded. Runs on the cell session of the order's market."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.db import rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders.models import (
    REFUND_REASONS,
    Order,
    OrderLine,
    OrderLineRefund,
    OrderStatusChange,
)
from shoptide.orders.service import STATUS_LABELS, event_fields

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
            **event_fields(order),
            checkout_id=order.checkout_id,
            order_line_id=line.id,
            refund_id=refund.id,
            amount_minor=amount_minor,
            currency=order.currency,
            reason=reason,
        ),
    )
    return refund
