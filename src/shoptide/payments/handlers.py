"""Payments reacting to other domains' events."""

from shoptide.db import Databases
from shoptide.events import Delivery, HandlerRegistry, OrderCancelled, OrderLineRefunded
from shoptide.money import Money
from shoptide.payments import flows
from shoptide.payments.gateway import PaymentGateway


def register(registry: HandlerRegistry, databases: Databases, gateway: PaymentGateway) -> None:
    async def refund_cancelled_order(delivery: Delivery) -> None:
        payload = delivery.payload
        if payload["refund_minor"] > 0:
            await flows.refund_order(
                databases,
                gateway,
                cell=delivery.cell,
                order_id=payload["order_id"],
                checkout_id=payload["checkout_id"],
                amount=Money(payload["refund_minor"], payload["currency"]),
                reference=f"order:{payload['order_id']}",
            )

    async def refund_order_line(delivery: Delivery) -> None:
        payload = delivery.payload
        await flows.refund_order(
            databases,
            gateway,
            cell=delivery.cell,
            order_id=payload["order_id"],
            checkout_id=payload["checkout_id"],
            amount=Money(payload["amount_minor"], payload["currency"]),
            reference=f"line-refund:{payload['refund_id']}",
        )

    registry.register(OrderCancelled, "payments.refund_cancelled_order", refund_cancelled_order)
    registry.register(OrderLineRefunded, "payments.refund_order_line", refund_order_line)
