from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shoptide.affiliate import creators as affiliate_creators
from shoptide.deps import CellRead, CurrentShopper, GlobalRead
from shoptide.orders import service
from shoptide.orders.schemas import order_number
from shoptide.payments import service as payments_service
from shoptide.web.rendering import PageDep

router = APIRouter()


@router.get("/orders", response_class=HTMLResponse)
async def my_orders(page: PageDep, user: CurrentShopper, cell: CellRead) -> HTMLResponse:
    orders = await service.list_for_shopper(cell, shopper_id=user.user_id)
    return page.render("orders/list.html", orders=orders, number=order_number)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def my_order(
    order_id: int, page: PageDep, user: CurrentShopper, cell: CellRead, global_: GlobalRead
) -> HTMLResponse:
    order = await service.get_for_shopper(cell, order_id, shopper_id=user.user_id)
    refund = (await payments_service.cancellation_refunds(cell, [order.id])).get(order.id)
    creators = await affiliate_creators.by_ids(global_, service.creator_ids([order]))
    return page.render(
        "orders/detail.html", order=order, refund=refund, creators=creators, number=order_number
    )
