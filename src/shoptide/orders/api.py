from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.deps import CellRead, CurrentMarket, CurrentSeat, CurrentShopper, DatabasesDep
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.orders import service
from shoptide.orders.models import Order
from shoptide.orders.schemas import (
    CancelIn,
    LineRefundIn,
    LineRefundRead,
    OrderRead,
    ShipIn,
    line_refund_read,
    order_read,
)
from shoptide.payments import service as payments_service
from shoptide.payments.models import Refund
from shoptide.settings import GLOBAL_CELL

OrderAction = Callable[..., Awaitable[Order]]

router = APIRouter(tags=["orders"])
seller_router = APIRouter(prefix="/seller", tags=["seller: orders"])


async def _read_all(session: AsyncSession, orders: list[Order], locale: str) -> list[OrderRead]:
    refunds = await payments_service.cancellation_refunds(session, [o.id for o in orders])
    return [order_read(o, locale, refunds.get(o.id)) for o in orders]


@router.get("/orders", response_model=list[OrderRead])
async def my_orders(
    user: CurrentShopper, session: CellRead, market: CurrentMarket
) -> list[OrderRead]:
    orders = list(await service.list_for_shopper(session, shopper_id=user.user_id))
    return await _read_all(session, orders, market.locale)


@router.get("/orders/{order_id}", response_model=OrderRead)
async def my_order(
    order_id: int, user: CurrentShopper, session: CellRead, market: CurrentMarket
) -> OrderRead:
    order = await service.get_for_shopper(session, order_id, shopper_id=user.user_id)
    return (await _read_all(session, [order], market.locale))[0]


# --- Seller Center: a shop's orders live in the cells of the markets they were placed in ---


@seller_router.get("/orders", response_model=list[OrderRead])
async def shop_orders(
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
    status: str | None = None,
    before: Annotated[datetime | None, Query(description="Only orders placed before this")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[OrderRead]:
    """Newest first from every market; for the next page pass the last order's created_at
    as `before`."""
    listing = await service.shop_orders_page(
        databases, shop_id=seat.shop.id, status=status, before=before, limit=limit
    )
    def cell_of(market_code: str) -> str:
        return databases.home_cell(databases.settings.cell_of_market(market_code))

    refunds: dict[tuple[str, int], Refund] = {}  # order ids are unique only within a database
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            found = await payments_service.cancellation_refunds(
                session, [o.id for o in listing.orders if cell_of(o.market_code) == cell]
            )
        refunds |= {(cell, order_id): refund for order_id, refund in found.items()}
    return [
        order_read(o, market.locale, refunds.get((cell_of(o.market_code), o.id)))
        for o in listing.orders
    ]


async def _act(
    databases: DatabasesDep,
    seat: CurrentSeat,
    market: Market,
    order_market: str,
    order_id: int,
    action: OrderAction | None = None,
    **kwargs: str,
) -> OrderRead:
    """Load the shop's own order from its market's cell, apply the action, read it back."""
    cell = databases.settings.cell_of_market(order_market.upper())
    async with databases.session(cell) as session:
        order = await service.get_for_shop(
            session, order_id, shop_id=seat.shop.id, market=order_market
        )
        if action is not None:
            await action(session, order, **kwargs)
        return (await _read_all(session, [order], market.locale))[0]


@seller_router.get("/orders/{order_market}/{order_id}", response_model=OrderRead)
async def shop_order(
    order_market: str,
    order_id: int,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> OrderRead:
    return await _act(databases, seat, market, order_market, order_id)


@seller_router.post("/orders/{order_market}/{order_id}/confirm", response_model=OrderRead)
async def confirm(
    order_market: str,
    order_id: int,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> OrderRead:
    return await _act(databases, seat, market, order_market, order_id, service.confirm)


@seller_router.post("/orders/{order_market}/{order_id}/deliver", response_model=OrderRead)
async def deliver(
    order_market: str,
    order_id: int,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> OrderRead:
    """Until carriers report deliveries themselves, the shop marks a parcel delivered."""
    return await _act(databases, seat, market, order_market, order_id, service.deliver)


@seller_router.post("/orders/{order_market}/{order_id}/ship", response_model=OrderRead)
async def ship(
    order_market: str,
    order_id: int,
    body: ShipIn,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> OrderRead:
    return await _act(
        databases,
        seat,
        market,
        order_market,
        order_id,
        service.ship,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )


@seller_router.post("/orders/{order_market}/{order_id}/cancel", response_model=OrderRead)
async def cancel(
    order_market: str,
    order_id: int,
    body: CancelIn,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> OrderRead:
    return await _act(
        databases, seat, market, order_market, order_id, service.cancel, reason=body.reason
    )


@seller_router.post(
    "/orders/{order_market}/{order_id}/lines/{line_id}/refunds",
    response_model=LineRefundRead,
    status_code=201,
)
async def refund_line(
    order_market: str,
    order_id: int,
    line_id: int,
    body: LineRefundIn,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> LineRefundRead:
    """Money back on one line of a shipped or delivered order; the shopper's card is
    refunded shortly after. The order's status does not change."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        placed_in = await markets_service.get(global_, order_market)
    async with databases.session(databases.settings.cell_of_market(placed_in.code)) as session:
        order = await service.get_for_shop(
            session, order_id, shop_id=seat.shop.id, market=placed_in.code
        )
        refund = await service.refund_line(
            session,
            order,
            market=placed_in,
            line_id=line_id,
            amount_minor=body.amount_minor,
            reason=body.reason,
            note=body.note,
        )
    return line_refund_read(refund, order.currency, market.locale)
