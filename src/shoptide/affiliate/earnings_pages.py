"""Creator Center → Earnings (and payout requests); Seller Center → Affiliate performance."""

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate import earnings, settlement
from shoptide.affiliate.deps import CreatorSeat, CurrentCreator
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep
from shoptide.errors import DomainError, InvalidInput
from shoptide.web.rendering import Page, PageDep

router = APIRouter()


async def _earnings_page(
    page: Page, seat: CreatorSeat, databases: Databases, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    found = await earnings.creator_earnings(databases, creator_id=seat.creator.id)
    return page.render(
        "creator/earnings.html",
        status_code=status_code,
        seat=seat,
        earnings=found,
        market_names={m.code: m.name for m in page.markets},
        **{"error": None, **context},
    )


@router.get("/creator/earnings", response_class=HTMLResponse)
async def creator_earnings(
    page: PageDep, seat: CurrentCreator, databases: DatabasesDep
) -> HTMLResponse:
    return await _earnings_page(page, seat, databases)


@router.post("/creator/earnings/payout", dependencies=[CsrfChecked], response_model=None)
async def request_payout(
    page: PageDep,
    seat: CurrentCreator,
    databases: DatabasesDep,
    market: Annotated[str, Form(max_length=2)],
    line: Annotated[list[int] | None, Form()] = None,
    all_settled: Annotated[bool, Form()] = False,
) -> HTMLResponse | RedirectResponse:
    """Pay out the ticked settled lines of one market, or all of them."""
    try:
        if market.upper() not in {m.code for m in page.markets}:
            raise InvalidInput("Choose the market of the lines to pay out.")
        async with databases.session(databases.settings.cell_of_market(market)) as session:
            ids = line or []
            if all_settled:
                ids = await settlement.settled_ids(
                    session, creator_id=seat.creator.id, market=market
                )
            payout = await settlement.request_payout(
                session, creator_id=seat.creator.id, commission_ids=ids
            )
    except DomainError as exc:
        return await _earnings_page(
            page, seat, databases, status_code=exc.status_code, error=exc.message
        )
    amount = page.money(payout.amount_minor, payout.currency)
    lines = "1 order line" if payout.lines == 1 else f"{payout.lines} order lines"
    page.flash(f"Payout #{payout.id} of {amount} for {lines} is on its way to your bank.")
    return RedirectResponse("/creator/earnings", status_code=303)


@router.get("/seller/affiliate/performance", response_class=HTMLResponse)
async def shop_performance(
    page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    found = await earnings.shop_performance(databases, shop_id=seat.shop.id)
    return page.render("seller/affiliate_performance.html", seat=seat, performance=found)
