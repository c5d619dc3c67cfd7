"""Orders use cases that own their units of work: a shop's orders gathered from every cell
(one visit per database, `Databases.each_cell`), and the shop's steps on one order, each in
the cell of the market the order was placed in.

An order is named by its market and its id: ids are unique per database, and the market
says which cell holds it.
"""

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import Databases
from shoptide.markets import service as markets_service
from shoptide.orders import refunds, service
from shoptide.orders.models import Order, OrderLineRefund
from shoptide.orders.service import OrderView
from shoptide.payments import service as payments_service
from shoptide.payments.models import Refund
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service
from shoptide.shops.models import Shop


@dataclass(frozen=True)
class ShopOrderRef:
    """One of a shop's orders, as Seller Center's URLs name it."""

    shop_id: int
    market: str
    order_id: int


# --- a shop's orders from every cell ----------------------------------------------------------


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
            found += await service.list_for_shop(
                session, shop_id=shop_id, status=status, before=before, limit=limit + 1
            )
    found.sort(key=lambda order: (order.created_at, order.id), reverse=True)
    page = found[:limit]
    return ShopOrders(page, page[-1].created_at if len(found) > limit else None)


async def shop_orders_with_refunds(
    databases: Databases,
    *,
    shop_id: int,
    status: str | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> list[OrderView]:
    """shop_orders_page, each order with the refund of its cancellation (if any)."""
    listing = await shop_orders_page(
        databases, shop_id=shop_id, status=status, before=before, limit=limit
    )

    def cell_of(order: Order) -> str:
        return databases.home_cell(databases.settings.cell_of_market(order.market_code))

    refunds: dict[tuple[str, int], Refund] = {}  # order ids are unique only within a database
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            found = await payments_service.cancellation_refunds(
                session, [o.id for o in listing.orders if cell_of(o) == cell]
            )
        refunds |= {(cell, order_id): refund for order_id, refund in found.items()}
    return [OrderView(o, refunds.get((cell_of(o), o.id))) for o in listing.orders]


async def count_by_status(databases: Databases, *, shop_id: int) -> Counter[str]:
    """How many of the shop's orders are in each status, over every cell."""
    counts: Counter[str] = Counter()
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            counts.update(await service.count_by_status(session, shop_id=shop_id))
    return counts


@dataclass(frozen=True)
class Dashboard:
    """Seller Center's first page: the seat's shop's orders per status, and the shops the
    merchant may switch to (with their role in each)."""

    counts: Counter[str]
    shops: Sequence[tuple[Shop, str]]


async def dashboard(databases: Databases, *, user_id: int, shop_id: int) -> Dashboard:
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        shops = await shops_service.memberships(global_, user_id=user_id)
    return Dashboard(await count_by_status(databases, shop_id=shop_id), shops)


# --- one of the shop's orders -----------------------------------------------------------------


@asynccontextmanager
async def _shop_order(
    databases: Databases, ref: ShopOrderRef, *, write: bool
) -> AsyncIterator[tuple[AsyncSession, Order]]:
    """The shop's own order, from the cell of the market named, or NotFound."""
    code = ref.market.upper()
    async with databases.session(databases.settings.cell_of_market(code), write=write) as session:
        order = await service.get_for_shop(session, ref.order_id, shop_id=ref.shop_id, market=code)
        yield session, order


async def shop_order(databases: Databases, ref: ShopOrderRef) -> OrderView:
    """The order with the refund of its cancellation (if any)."""
    async with _shop_order(databases, ref, write=False) as (session, order):
        return (await service.views(session, [order]))[0]


async def shop_order_page(databases: Databases, ref: ShopOrderRef) -> OrderView:
    """The order as Seller Center shows it: with its refund and recommending creators."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()  # the global connection first, then the cell's
        async with _shop_order(databases, ref, write=False) as (session, order):
            return (await service.views(session, [order], global_=global_))[0]


OrderStep = Callable[[AsyncSession, Order], Awaitable[object]]


async def _step(databases: Databases, ref: ShopOrderRef, step: OrderStep) -> OrderView:
    async with _shop_order(databases, ref, write=True) as (session, order):
        await step(session, order)
        return (await service.views(session, [order]))[0]


async def confirm(databases: Databases, ref: ShopOrderRef) -> OrderView:
    return await _step(databases, ref, service.confirm)


async def deliver(databases: Databases, ref: ShopOrderRef) -> OrderView:
    """Until carriers report deliveries themselves, the shop marks a parcel delivered."""
    return await _step(databases, ref, service.deliver)


async def ship(
    databases: Databases, ref: ShopOrderRef, *, carrier: str, tracking_number: str
) -> OrderView:
    async def step(session: AsyncSession, order: Order) -> Order:
        return await service.ship(session, order, carrier=carrier, tracking_number=tracking_number)

    return await _step(databases, ref, step)


async def cancel(databases: Databases, ref: ShopOrderRef, *, reason: str) -> OrderView:
    async def step(session: AsyncSession, order: Order) -> Order:
        return await service.cancel(session, order, reason=reason)

    return await _step(databases, ref, step)


async def refund_line(
    databases: Databases,
    ref: ShopOrderRef,
    *,
    line_id: int,
    amount_minor: int,
    reason: str,
    note: str = "",
) -> tuple[OrderLineRefund, Order]:
    """Money back on one line of a shipped or delivered order, under the rules of the
    market it was placed in (its return window)."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        placed_in = await markets_service.requested(global_, ref.market)  # URL's: 404
    async with _shop_order(databases, ref, write=True) as (session, order):
        refund = await refunds.refund_line(
            session,
            order,
            market=placed_in,
            line_id=line_id,
            amount_minor=amount_minor,
            reason=reason,
            note=note,
        )
        return refund, order
