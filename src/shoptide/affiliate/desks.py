"""What the affiliate program's form pages work with, merchants' (Seller Center) and
creators' (Creator Center) alike: a desk holds the page, who is at it, the request's global
reader (to show a page, or show it again after a refusal) and the databases (for the flow
that writes). `Shown` is how web.forms.submit asks a page to show itself again.

Creator Center pages show prices the way the creator's market writes them (its currency and
locale, whatever market the browser last picked) and rates as percentages: `creator_page`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from fastapi import Depends
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.rates import format_rate
from shoptide.creators.deps import CreatorSeat, CurrentCreator
from shoptide.db import Databases
from shoptide.deps import CurrentSeat, DatabasesDep, GlobalRead, Seat
from shoptide.markets import service as markets_service
from shoptide.money import Money, format_money
from shoptide.web.rendering import Page, PageDep


class Shown(TypedDict, total=False):
    """A page shown again: the refusal's status and message, and what was typed."""

    status_code: int
    error: str | None
    form: Mapping[str, Any] | None


@dataclass(frozen=True)
class SellerDesk:
    page: Page
    seat: Seat
    session: AsyncSession  # the request's global reader
    databases: Databases


@dataclass(frozen=True)
class CreatorDesk:
    page: Page
    seat: CreatorSeat
    session: AsyncSession  # the request's global reader
    databases: Databases


async def seller_desk(
    page: PageDep, seat: CurrentSeat, session: GlobalRead, databases: DatabasesDep
) -> SellerDesk:
    return SellerDesk(page, seat, session, databases)


async def creator_desk(
    page: PageDep, seat: CurrentCreator, session: GlobalRead, databases: DatabasesDep
) -> CreatorDesk:
    return CreatorDesk(page, seat, session, databases)


SellerDeskDep = Annotated[SellerDesk, Depends(seller_desk)]
CreatorDeskDep = Annotated[CreatorDesk, Depends(creator_desk)]


async def creator_page(
    desk: CreatorDesk,
    template: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, Any] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A Creator Center page (`creator/<template>`); `form` only where the page has one."""
    market = await markets_service.get(desk.session, desk.seat.creator.market_code)

    def money(amount: Money) -> str:
        return format_money(amount, market.locale)

    if form is not None:
        context["form"] = form
    return desk.page.render(
        f"creator/{template}",
        status_code=status_code,
        seat=desk.seat,
        creator_market=market,
        money=money,
        percent=format_rate,
        error=error,
        **context,
    )
