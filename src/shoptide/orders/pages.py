from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shoptide.deps import CellRead, CurrentShopper, GlobalRead
from shoptide.ids import BigId
from shoptide.orders import service
from shoptide.orders.schemas import order_number
from shoptide.web.rendering import PageDep

router = APIRouter()


@router.get("/orders", response_class=HTMLResponse)
async def my_orders(page: PageDep, user: CurrentShopper, cell: CellRead) -> HTMLResponse:
    orders = await service.list_for_shopper(cell, shopper_id=user.user_id)
    return page.render("orders/list.html", orders=orders, number=order_number)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def my_order(
    order_id: BigId, page: PageDep, user: CurrentShopper, cell: CellRead, global_: GlobalRead
) -> HTMLResponse:
    found = await service.shopper_order(cell, order_id, shopper_id=user.user_id, global_=global_)
    return page.render(
        "orders/detail.html",
        order=found.order,
        refund=found.refund,
        creators=found.creators,
        number=order_number,
    )
