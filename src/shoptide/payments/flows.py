"""Payments that call the gateway between two units of work of their own."""

from shoptide.db import Databases
from shoptide.money import Money
from shoptide.payments import service
from shoptide.payments.gateway import PaymentGateway
from shoptide.payments.models import Payment


async def refund_order(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    cell: str,
    order_id: int,
    checkout_id: int,
    amount: Money,
    reference: str,
) -> None:
    """Give back money on an order once, however often the event is delivered: the whole
    order when it is cancelled ("order:ID"), or one line refund ("line-refund:ID").

    Read what was paid, ask the gateway (no transaction open meanwhile), then record the
    refund; the gateway's reference is derived from ours, so a retry never refunds twice."""
    async with databases.session(cell, write=False) as session:
        payment = await service.refundable_payment(
            session, checkout_id=checkout_id, reference=reference
        )
    if payment is None:
        return  # refunded before, or nothing was charged: nothing to give back
    gateway_ref = await service.refund_payment(gateway, payment, amount=amount, reference=reference)
    async with databases.session(cell) as session:
        await service.record_refund(
            session, order_id=order_id, reference=reference, amount=amount, gateway_ref=gateway_ref
        )


async def give_back_charge(
    databases: Databases, gateway: PaymentGateway, *, cell: str, payment: Payment
) -> Payment:
    """Refund a charge recorded as "refunding" (its checkout could not be completed), then
    record it refunded. The gateway's reference is derived from the charge, so a process
    that stops in between, and the sweep that finishes its work, refund once."""
    await service.void_charge(gateway, payment)
    async with databases.session(cell) as session:
        return await service.mark_refunded(session, checkout_id=payment.checkout_id)
