"""The commissions' units of work, one per order event (the handlers call these): a global
reader and the order's cell, opened in that order."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.commissions import service
from shoptide.db import Databases
from shoptide.orders import service as orders_service
from shoptide.settings import GLOBAL_CELL


@asynccontextmanager
async def _sessions(
    databases: Databases, cell: str
) -> AsyncIterator[tuple[AsyncSession, AsyncSession]]:
    """A global reader and the cell's unit of work. The global connection is taken first,
    like every request does (deps.py), so that no two pools are ever waited on in turn."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()
        async with databases.session(cell) as session:
            yield global_, session


async def accrue_order(databases: Databases, *, cell: str, order_id: int) -> int:
    """OrderPaid: book every line of the order and write the commissions its creators earn
    (pending). Delivered again, it writes nothing twice. Returns commissions written."""
    async with _sessions(databases, cell) as (global_, session):
        return await service.accrue(session, global_, await orders_service.get(session, order_id))


async def reverse_line_refund(
    databases: Databases,
    *,
    cell: str,
    order_id: int,
    order_line_id: int,
    refund_id: int,
    amount_minor: int,
    reason: str,
) -> None:
    """OrderLineRefunded: take back the pending commission's part of the refund."""
    async with _sessions(databases, cell) as (global_, session):
        await service.reverse_refund(
            session,
            global_,
            await orders_service.get(session, order_id),
            order_line_id=order_line_id,
            refund_id=refund_id,
            amount_minor=amount_minor,
            reason=reason,
        )


async def reverse_cancelled_order(databases: Databases, *, cell: str, order_id: int) -> None:
    """OrderCancelled: every line gives back what is left on it."""
    async with _sessions(databases, cell) as (global_, session):
        await service.reverse_cancellation(
            session, global_, await orders_service.get(session, order_id)
        )


async def start_return_window(
    databases: Databases, *, cell: str, order_id: int, delivered_at: datetime
) -> int:
    """OrderDelivered: the order's pending commissions settle after the return window."""
    async with _sessions(databases, cell) as (global_, session):
        order = await orders_service.get(session, order_id)
        return await service.start_return_window(session, global_, order, delivered_at=delivered_at)
