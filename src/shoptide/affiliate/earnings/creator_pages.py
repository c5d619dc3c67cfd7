"""Creator Center → Earnings: totals and the lines earned on, and payout requests."""

from functools import partial
from typing import Annotated, Unpack

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import CreatorDesk, CreatorDeskDep, Shown
from shoptide.affiliate.earnings import flows
from shoptide.affiliate.payouts import flows as payouts
from shoptide.affiliate.payouts.models import Payout
from shoptide.deps import CsrfChecked
from shoptide.errors import InvalidInput
from shoptide.ids import BigId
from shoptide.web.forms import error_status, submit

router = APIRouter(prefix="/creator")


async def _earnings_page(desk: CreatorDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    found = await flows.creator_earnings(desk.databases, creator_id=desk.seat.creator.id)
    return desk.page.render(
        "creator/earnings.html",
        status_code=shown.get("status_code", 200),
        seat=desk.seat,
        earnings=found,
        market_names={m.code: m.name for m in desk.page.markets},
        error=shown.get("error"),
    )


@router.get("/earnings", response_class=HTMLResponse)
async def creator_earnings(desk: CreatorDeskDep) -> HTMLResponse:
    return await _earnings_page(desk)


@router.post("/earnings/payout", dependencies=[CsrfChecked], response_model=None)
async def request_payout(
    desk: CreatorDeskDep,
    market: Annotated[str, Form(max_length=2)],
    line: Annotated[list[BigId] | None, Form()] = None,
    all_settled: Annotated[bool, Form()] = False,
) -> HTMLResponse | RedirectResponse:
    """Pay out the ticked settled lines of one market, or all of them."""

    async def action() -> Payout:
        if market.upper() not in {m.code for m in desk.page.markets}:
            raise InvalidInput("Choose the market of the lines to pay out.")
        return await payouts.request_payout(
            desk.databases,
            creator_id=desk.seat.creator.id,
            market=market,
            commission_ids=line or [],
            all_settled=all_settled,
        )

    def done(payout: Payout) -> str:
        amount = desk.page.money(payout.amount_minor, payout.currency)
        lines = "1 order line" if payout.lines == 1 else f"{payout.lines} order lines"
        return f"Payout #{payout.id} of {amount} for {lines} is on its way to your bank."

    return await submit(
        desk.page,
        action,
        again=partial(_earnings_page, desk),
        done=done,
        to="/creator/earnings",
        status=error_status,
    )
