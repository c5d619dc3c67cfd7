"""Seller Center → which shop a merchant works in (the switcher) and its staff.

The dashboard that shows the switcher is in orders.seller_pages (its figures are orders).
"""

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.models import User
from shoptide.deps import CsrfChecked, CurrentSeat, CurrentUser, DatabasesDep, GlobalRead, Seat
from shoptide.ids import Id
from shoptide.shops import flows, service
from shoptide.shops.schemas import StaffCreate
from shoptide.web.forms import error_status, submit, text_fields, validated, without
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller")


@router.post("/shop", dependencies=[CsrfChecked])
async def switch_shop(
    request: Request,
    page: PageDep,
    user: CurrentUser,
    session: GlobalRead,
    shop_id: Annotated[Id, Form()],
) -> RedirectResponse:
    """Act for another of your shops (CurrentSeat reads the choice from the session)."""
    shop = await service.shop_of_member(session, user_id=user.user_id, shop_id=shop_id)
    request.session["shop_id"] = shop.id
    page.flash(f"You are now working in {shop.name}.")
    return RedirectResponse("/seller", status_code=303)


async def _staff_page(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    members = await service.list_members(session, shop_id=seat.shop.id)
    return page.render(
        "seller/staff.html",
        status_code=status_code,
        seat=seat,
        members=members,
        form=form or {},
        error=error,
    )


@router.get("/staff", response_class=HTMLResponse)
async def staff(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _staff_page(page, seat, session)


@router.post("/staff", dependencies=[CsrfChecked], response_model=None)
async def add_staff(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    """Owners create a merchant account for a colleague; staff are told only owners can."""
    form = await text_fields(request)
    fields = {k: form.get(k, "") for k in ("email", "display_name", "password")}
    role = form.get("role") or "staff"

    async def add() -> User:
        return await flows.add_staff_account(
            databases,
            shop_id=seat.shop.id,
            acting_role=seat.role,
            staff=validated(StaffCreate, fields | {"role": role}),
            passwords=request.app.state.passwords,
        )

    return await submit(
        page,
        add,
        again=partial(_staff_page, page, seat, session),
        form=without(form, "password"),
        status=error_status,
        done=lambda user: f"{user.display_name} can now sign in to {seat.shop.name} as {role}.",
        to="/seller/staff",
    )
