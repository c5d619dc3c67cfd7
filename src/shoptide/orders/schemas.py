from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.ids import INT8_MAX
from shoptide.orders.models import Order, OrderLineRefund, ShippingAddress
from shoptide.orders.service import STATUS_LABELS
from shoptide.payments.models import Refund


class LineRefundRead(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    amount: MoneyRead
    reason: str = Field(description='"refund" or "return"')
    note: str
    created_at: datetime


class OrderLineRead(BaseModel):
    id: int
    sku: str
    product_id: int
    title: str
    variant_label: str
    quantity: int
    unit_price: MoneyRead
    line_total: MoneyRead
    refunded: MoneyRead
    refunds: list[LineRefundRead]


class StatusChangeRead(BaseModel):
    from_status: str | None
    to_status: str
    note: str
    at: datetime


class OrderRead(BaseModel):
    id: int
    number: str
    market: str
    shop_id: int
    status: str
    status_label: str
    subtotal: MoneyRead
    tax_included: MoneyRead
    total: MoneyRead
    lines: list[OrderLineRead]
    history: list[StatusChangeRead]
    shipping: ShippingAddress
    carrier: str
    tracking_number: str
    refund: MoneyRead | None
    created_at: datetime


class ShipIn(BaseModel):
    carrier: str = Field(default="", max_length=60)
    tracking_number: str = Field(min_length=1, max_length=80)


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=200)


class LineRefundIn(BaseModel):
    """Money back on one line of a shipped order: "refund" (partial or whole) or "return"
    (the item came back, within the market's return window after delivery)."""

    amount_minor: int = Field(le=INT8_MAX, description="In minor units of the order's currency")
    reason: Literal["refund", "return"] = "refund"
    note: str = Field(default="", max_length=300)


def order_number(order: Order) -> str:
    return f"{order.market_code}-{order.id:06d}"


def line_refund_read(refund: OrderLineRefund, currency: str, locale: str) -> LineRefundRead:
    return LineRefundRead(
        id=refund.id,
        order_id=refund.order_id,
        order_line_id=refund.order_line_id,
        amount=money_read(refund.amount_minor, currency, locale),
        reason=refund.reason,
        note=refund.note,
        created_at=refund.created_at,
    )


def order_read(order: Order, locale: str, refund: Refund | None = None) -> OrderRead:
    """`refund` is the whole-order refund of a cancelled order; line refunds come with the
    lines."""

    def m(amount: int) -> MoneyRead:
        return money_read(amount, order.currency, locale)

    return OrderRead(
        id=order.id,
        number=order_number(order),
        market=order.market_code,
        shop_id=order.shop_id,
        status=order.status,
        status_label=STATUS_LABELS[order.status],
        subtotal=m(order.subtotal_minor),
        tax_included=m(order.tax_minor),
        total=m(order.total_minor),
        lines=[
            OrderLineRead(
                id=li.id,
                sku=li.sku,
                product_id=li.product_id,
                title=li.title,
                variant_label=li.variant_label,
                quantity=li.quantity,
                unit_price=m(li.unit_price_minor),
                line_total=m(li.line_total_minor),
                refunded=m(li.refunded_minor),
                refunds=[line_refund_read(r, order.currency, locale) for r in li.refunds],
            )
            for li in order.lines
        ],
        history=[
            StatusChangeRead(from_status=h.from_status, to_status=h.to_status, note=h.note, at=h.at)
            for h in order.history
        ],
        shipping=order.shipping,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        refund=m(refund.amount_minor) if refund else None,
        created_at=order.created_at,
    )
