"""Seller Center's "why this traffic" page: the shop's videos and live rooms in the For You
feed, their stage, their rates beside the market's median, and why, in plain words."""

from babel.numbers import format_percent
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shoptide import i18n
from shoptide.deps import CurrentSeat, DatabasesDep
from shoptide.feed import flows
from shoptide.web.rendering import PageDep, locale_for

router = APIRouter(prefix="/seller")

REPORT_TEMPLATE = "seller/feed.html"


@router.get("/feed", response_class=HTMLResponse)
async def feed_report(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    """The shop's videos and live rooms in the For You feed: stage, rates beside the
    market's median, and why, in plain words."""
    locale = locale_for(REPORT_TEMPLATE, page.market)
    translations = i18n.translations(locale)

    def percent(value: float) -> str:
        return str(format_percent(value, locale=locale))

    rows = await flows.feed_report(
        databases, shop_id=seat.shop.id, gettext=translations.gettext, percent=percent
    )
    return page.render(REPORT_TEMPLATE, seat=seat, rows=rows, percent=percent)
