"""What must hold after any crash and recovery: each charge at the gateway is a paid order
or a refund; stock = shelf + reserved + sold; every outbox event reached each of its
handlers once."""

import sqlite3
from collections import Counter
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from shoptide.checkout.models import Checkout
from shoptide.db import Databases
from shoptide.events import OutboxDelivery, OutboxEvent
from shoptide.inventory.models import Reservation, Stock
from shoptide.orders.models import Order, OrderLine
from shoptide.payments.models import Payment


def gateway_books(sandbox: Path) -> tuple[dict[str, str], set[str]]:
    """The sandbox file's charges (reference → charge id) and refund references."""
    db = sqlite3.connect(sandbox)
    try:
        charges = dict(db.execute("SELECT reference, gateway_ref FROM charge").fetchall())
        refunds = {reference for (reference,) in db.execute("SELECT reference FROM refund")}
    finally:
        db.close()
    return charges, refunds


async def assert_books_balance(
    app: FastAPI, databases: Databases, sandbox: Path, *, stock: int, cell: str = "main"
) -> None:
    charges, refunds = gateway_books(sandbox)
    async with databases.session(cell, write=False) as s:
        payments = {p.reference: p for p in await s.scalars(select(Payment))}
        checkouts = {c.id: c for c in await s.scalars(select(Checkout))}
        for reference, gateway_ref in charges.items():
            payment = payments[reference]
            assert payment.gateway_ref == gateway_ref
            paid = checkouts[payment.checkout_id].status == "paid"
            assert (payment.status, paid) in {("succeeded", True), ("refunded", False)}
            assert paid or f"void-{gateway_ref}" in refunds, f"charge {reference} lost"
        assert all(p.status not in ("charging", "refunding") for p in payments.values())
        shelf = await s.scalar(select(func.sum(Stock.available)))
        reserved = await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)))
        sold = await s.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.status == "paid")
        )
    assert shelf + reserved + sold == stock, (shelf, reserved, sold)
    await _assert_events_delivered_once(app, databases, cell)


async def _assert_events_delivered_once(app: FastAPI, databases: Databases, cell: str) -> None:
    dispatcher = app.state.dispatcher
    while await dispatcher.run_once():
        pass
    async with databases.session(cell, write=False) as s:
        events = list(await s.scalars(select(OutboxEvent)))
        deliveries = Counter(
            (event_id, handler)
            for event_id, handler in await s.execute(
                select(OutboxDelivery.event_id, OutboxDelivery.handler)
            )
        )
    for event in events:
        assert event.dispatched_at is not None, event.last_error
        for handler in app.state.registry.for_type(event.type):
            assert deliveries[event.id, handler] == 1, (event.type, handler)
    paid_events = Counter(e.payload["order_id"] for e in events if e.type == "OrderPaid")
    assert all(count == 1 for count in paid_events.values()), paid_events
