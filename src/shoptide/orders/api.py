from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from shoptide.deps import CellRead, CurrentMarket, CurrentSeat, CurrentShopper, DatabasesDep
from shoptide.ids import BigId
from shoptide.markets.models import Market
from shoptide.markets.schemas import MarketCode
from shoptide.orders import flows, service
from shoptide.orders.flows import ShopOrderRef
from shoptide.orders.schemas import (
    CancelIn,
    LineRefundIn,
    LineRefundRead,
    OrderRead,
    ShipIn,
    line_refund_read,
    order_read,
)
from shoptide.orders.service import OrderView

router = APIRouter(tags=["orders"])
seller_router = APIRouter(prefix="/seller", tags=["seller: orders"])


def _read(found: OrderView, market: Market) -> OrderRead:
    return order_read(found.order, market.locale, found.refund)


async def _shop_order_ref(
    order_market: MarketCode, order_id: BigId, seat: CurrentSeat
) -> ShopOrderRef:
    """The seat's shop's order named by the URL (the flows check that it is theirs)."""
    return ShopOrderRef(shop_id=seat.shop.id, market=order_market, order_id=order_id)


OrderRef = Annotated[ShopOrderRef, Depends(_shop_order_ref)]


@router.get("/orders", response_model=list[OrderRead])
async def my_orders(
    user: CurrentShopper, session: CellRead, market: CurrentMarket
) -> list[OrderRead]:
    return [
        _read(found, market)
        for found in await service.shopper_orders(session, shopper_id=user.user_id)
    ]


@router.get("/orders/{order_id}", response_model=OrderRead)
async def my_order(
    order_id: BigId, user: CurrentShopper, session: CellRead, market: CurrentMarket
) -> OrderRead:
    found = await service.shopper_order(session, order_id, shopper_id=user.user_id)
    return _read(found, market)


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
    found = await flows.shop_orders_with_refunds(
        databases, shop_id=seat.shop.id, status=status, before=before, limit=limit
    )
    return [_read(view, market) for view in found]


@seller_router.get("/orders/{order_market}/{order_id}", response_model=OrderRead)
async def shop_order(ref: OrderRef, databases: DatabasesDep, market: CurrentMarket) -> OrderRead:
    return _read(await flows.shop_order(databases, ref), market)


@seller_router.post("/orders/{order_market}/{order_id}/confirm", response_model=OrderRead)
async def confirm(ref: OrderRef, databases: DatabasesDep, market: CurrentMarket) -> OrderRead:
    return _read(await flows.confirm(databases, ref), market)


@seller_router.post("/orders/{order_market}/{order_id}/deliver", response_model=OrderRead)
async def deliver(ref: OrderRef, databases: DatabasesDep, market: CurrentMarket) -> OrderRead:
    """Until carriers report deliveries themselves, the shop marks a parcel delivered."""
    return _read(await flows.deliver(databases, ref), market)


@seller_router.post("/orders/{order_market}/{order_id}/ship", response_model=OrderRead)
async def ship(
    ref: OrderRef, body: ShipIn, databases: DatabasesDep, market: CurrentMarket
) -> OrderRead:
    shipped = await flows.ship(
        databases,
        ref,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return _read(shipped, market)


@seller_router.post("/orders/{order_market}/{order_id}/cancel", response_model=OrderRead)
async def cancel(
    ref: OrderRef, body: CancelIn, databases: DatabasesDep, market: CurrentMarket
) -> OrderRead:
    cancelled = await flows.cancel(databases, ref, reason=body.reason)
    return _read(cancelled, market)


@seller_router.post(
    "/orders/{order_market}/{order_id}/lines/{line_id}/refunds",
    response_model=LineRefundRead,
    status_code=201,
)
async def refund_line(
    line_id: BigId,
    ref: OrderRef,
    body: LineRefundIn,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> LineRefundRead:
    """Money back on one line of a shipped or delivered order; the shopper's card is
    refunded shortly after. The order's status does not change."""
    refund, order = await flows.refund_line(
        databases,
        ref,
        line_id=line_id,
        amount_minor=body.amount_minor,
        reason=body.reason,
        note=body.note,
    )
    return line_refund_read(refund, order.currency, market.locale)


# one authenticated router per route module (shoptide.web.routing)
router.include_router(seller_router)
