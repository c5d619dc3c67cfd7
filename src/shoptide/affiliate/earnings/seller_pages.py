"""Seller Center → Affiliate → Creators' performance: what each creator sold for the shop."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shoptide.affiliate.earnings import flows
from shoptide.deps import CurrentSeat, DatabasesDep
from shoptide.web.rendering import PageDep

router = APIRouter(prefix="/seller/affiliate")


@router.get("/performance", response_class=HTMLResponse)
async def shop_performance(
    page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    found = await flows.shop_performance(databases, shop_id=seat.shop.id)
    return page.render("seller/affiliate_performance.html", seat=seat, performance=found)
