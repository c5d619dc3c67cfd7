"""Seller Center → the dashboard (orders per status, over every cell) and Orders: the list,
one order, and the shop's steps on it (confirm, ship, deliver, cancel, refund a line).

The dashboard lives here rather than in shops: its figures are orders, and shops stands
below orders. Each step is one orders flow in the cell of the order's market;
`web.forms.submit` shows the order again with the message and what was typed when the
step is refused.
"""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep, Seat
from shoptide.errors import InvalidInput
from shoptide.ids import BigId
from shoptide.markets import service as markets_service
from shoptide.orders import flows
from shoptide.orders.flows import ShopOrderRef
from shoptide.orders.refunds import REFUNDABLE_STATUSES
from shoptide.orders.schemas import CancelIn, LineRefundIn, ShipIn, order_number
from shoptide.orders.service import STATUS_LABELS, TRANSITIONS, OrderView
from shoptide.web.forms import amount_minor, error_status, submit, text_fields, validated
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller")


@router.get("", response_class=HTMLResponse)
async def dashboard(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    board = await flows.dashboard(databases, user_id=seat.user.user_id, shop_id=seat.shop.id)
    return page.render("seller/dashboard.html", seat=seat, counts=board.counts, shops=board.shops)


@router.get("/orders", response_class=HTMLResponse)
async def orders(
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    before: Annotated[datetime | None, Query(description="Older than this placing time")] = None,
) -> HTMLResponse:
    if status and status not in STATUS_LABELS:
        raise InvalidInput(f"There is no order status {status!r}.")
    listing = await flows.shop_orders_page(
        databases, shop_id=seat.shop.id, status=status or None, before=before
    )
    return page.render(
        "seller/orders.html",
        seat=seat,
        orders=listing.orders,
        older_than=listing.older_than.isoformat() if listing.older_than else None,
        status=status or "",
        number=order_number,
    )


# --- one order --------------------------------------------------------------------------------


async def _order_page(
    page: Page,
    databases: Databases,
    seat: Seat,
    ref: ShopOrderRef,
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    found = await flows.shop_order_page(databases, ref)
    return page.render(
        "seller/order.html",
        status_code=status_code,
        seat=seat,
        order=found.order,
        refund=found.refund,
        creators=found.creators,
        refundable=found.order.status in REFUNDABLE_STATUSES,
        number=order_number,
        next_statuses=TRANSITIONS[found.order.status],
        form=form or {},
        error=error,
    )


async def _shop_order_ref(market: str, order_id: BigId, seat: CurrentSeat) -> ShopOrderRef:
    """The seat's shop's order named by the URL (the flows check that it is theirs)."""
    return ShopOrderRef(shop_id=seat.shop.id, market=market, order_id=order_id)


OrderRef = Annotated[ShopOrderRef, Depends(_shop_order_ref)]


@router.get("/orders/{market}/{order_id}", response_class=HTMLResponse)
async def order_detail(
    ref: OrderRef, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    return await _order_page(page, databases, seat, ref)


async def _order_step(
    page: Page,
    databases: Databases,
    seat: Seat,
    ref: ShopOrderRef,
    step: Callable[[], Awaitable[object]],
    *,
    form: Mapping[str, Any],
    done: str,
) -> HTMLResponse | RedirectResponse:
    """Run the step; a refusal (e.g. InvalidTransition) shows the order with what was typed."""
    return await submit(
        page,
        step,
        again=partial(_order_page, page, databases, seat, ref),
        form=form,
        status=error_status,
        done=done,
        to=f"/seller/orders/{ref.market.upper()}/{ref.order_id}",
    )


@router.post("/orders/{market}/{order_id}/ship", dependencies=[CsrfChecked], response_model=None)
async def ship_order(
    ref: OrderRef, request: Request, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse | RedirectResponse:
    form = await text_fields(request)

    async def ship() -> OrderView:
        body = validated(ShipIn, form)
        return await flows.ship(
            databases, ref, carrier=body.carrier, tracking_number=body.tracking_number
        )

    return await _order_step(
        page,
        databases,
        seat,
        ref,
        ship,
        form=form,
        done="Order shipped. The shopper can follow the tracking number.",
    )


@router.post("/orders/{market}/{order_id}/cancel", dependencies=[CsrfChecked], response_model=None)
async def cancel_order(
    ref: OrderRef, request: Request, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse | RedirectResponse:
    form = await text_fields(request)

    async def cancel() -> OrderView:
        return await flows.cancel(databases, ref, reason=validated(CancelIn, form).reason)

    return await _order_step(
        page,
        databases,
        seat,
        ref,
        cancel,
        form=form,
        done="Order cancelled. The stock is back and the shopper will be refunded.",
    )


@router.post(
    "/orders/{market}/{order_id}/lines/{line_id}/refund",
    dependencies=[CsrfChecked],
    response_model=None,
)
async def refund_order_line(
    line_id: BigId,
    ref: OrderRef,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = {**await text_fields(request), "line_id": str(line_id)}
    currency = markets_service.among(page.markets, ref.market).currency  # the order's currency

    async def refund() -> object:
        body = validated(
            LineRefundIn,
            {
                "amount_minor": amount_minor(form.get("amount", ""), currency),
                "reason": form.get("reason", "refund"),
                "note": form.get("note", ""),
            },
        )
        return await flows.refund_line(
            databases,
            ref,
            line_id=line_id,
            amount_minor=body.amount_minor,
            reason=body.reason,
            note=body.note,
        )

    returned = form.get("reason") == "return"
    return await _order_step(
        page,
        databases,
        seat,
        ref,
        refund,
        form=form,
        done=("Return recorded and refunded." if returned else "Refund recorded.")
        + " The money goes back to the shopper's card.",
    )


# steps that need nothing but a click: the flow and what the merchant is told
# (declared after /ship and /cancel, which this route's {step} would otherwise catch)
SIMPLE_STEPS = {
    "confirm": (flows.confirm, "Order confirmed. Pack it and ship it."),
    "deliver": (flows.deliver, "Order marked delivered."),
}


@router.post("/orders/{market}/{order_id}/{step}", dependencies=[CsrfChecked], response_model=None)
async def simple_order_step(
    ref: OrderRef,
    step: Literal["confirm", "deliver"],
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    act, done = SIMPLE_STEPS[step]
    return await _order_step(
        page, databases, seat, ref, partial(act, databases, ref), form={}, done=done
    )
