"""The affiliate program reacting to orders: commissions accrue when an order is paid,
are taken back by refunds and cancellations, and start their return window on delivery."""

from datetime import datetime

from shoptide.affiliate.commissions import flows as commissions
from shoptide.db import Databases
from shoptide.events import (
    Delivery,
    HandlerRegistry,
    OrderCancelled,
    OrderDelivered,
    OrderLineRefunded,
    OrderPaid,
)


def register(registry: HandlerRegistry, databases: Databases) -> None:
    async def accrue_commissions(delivery: Delivery) -> None:
        await commissions.accrue_order(
            databases, cell=delivery.cell, order_id=delivery.payload["order_id"]
        )

    async def reverse_line_refund(delivery: Delivery) -> None:
        payload = delivery.payload
        await commissions.reverse_line_refund(
            databases,
            cell=delivery.cell,
            order_id=payload["order_id"],
            order_line_id=payload["order_line_id"],
            refund_id=payload["refund_id"],
            amount_minor=payload["amount_minor"],
            reason=payload["reason"],
        )

    async def reverse_cancelled_order(delivery: Delivery) -> None:
        await commissions.reverse_cancelled_order(
            databases, cell=delivery.cell, order_id=delivery.payload["order_id"]
        )

    async def start_return_window(delivery: Delivery) -> None:
        await commissions.start_return_window(
            databases,
            cell=delivery.cell,
            order_id=delivery.payload["order_id"],
            delivered_at=datetime.fromisoformat(delivery.payload["delivered_at"]),
        )

    registry.register(OrderPaid, "affiliate.accrue_commissions", accrue_commissions)
    registry.register(OrderLineRefunded, "affiliate.reverse_line_refund", reverse_line_refund)
    registry.register(OrderCancelled, "affiliate.reverse_cancelled_order", reverse_cancelled_order)
    registry.register(OrderDelivered, "affiliate.start_return_window", start_return_window)
