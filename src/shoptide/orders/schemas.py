from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.orders.models import Order, ShippingAddress
from shoptide.orders.service import STATUS_LABELS
from shoptide.payments.models import Refund


class OrderLineRead(BaseModel):
    sku: str
    product_id: int
    title: str
    variant_label: str
    quantity: int
    unit_price: MoneyRead
    line_total: MoneyRead


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


def order_number(order: Order) -> str:
    return f"{order.market_code}-{order.id:06d}"


def order_read(order: Order, locale: str, refund: Refund | None = None) -> OrderRead:
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
                sku=li.sku,
                product_id=li.product_id,
                title=li.title,
                variant_label=li.variant_label,
                quantity=li.quantity,
                unit_price=m(li.unit_price_minor),
                line_total=m(li.line_total_minor),
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
