"""Seller Center → Affiliate: the shop's open plan, its invitations to creators and the
sample requests that come with them.

Like the other Seller Center pages, a write opens its own unit of work inside `submit`, so
a domain error rolls it back and the page is shown again with the message and what the
merchant typed; success flashes and redirects.
"""

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import plans
from shoptide.affiliate.models import SHOP_WIDE
from shoptide.catalog import service as catalog_service
from shoptide.db import Databases, utcnow
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep, GlobalRead, Seat
from shoptide.errors import DomainError, InvalidInput
from shoptide.settings import GLOBAL_CELL
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller/affiliate")

Write = Callable[[AsyncSession], Awaitable[object]]
Again = Callable[[DomainError], Awaitable[HTMLResponse]]


async def form_fields(request: Request) -> dict[str, str]:
    """The form's text fields as typed (the CSRF token left out), to show them again."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


async def submit(
    page: Page, databases: Databases, write: Write, *, done: str, to: str, again: Again
) -> HTMLResponse | RedirectResponse:
    """Run `write` in a global unit of work; on a domain error nothing is written and
    `again` shows the page with the message."""
    try:
        async with databases.session(GLOBAL_CELL) as session:
            await write(session)
    except DomainError as exc:
        return await again(exc)
    page.flash(done)
    return RedirectResponse(to, status_code=303)


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"Choose {what}.") from None


# --- the open plan ------------------------------------------------------------------------------


async def _overview(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    rates = await plans.list_open(session, shop_id=seat.shop.id)
    return page.render(
        "seller/affiliate.html",
        status_code=status_code,
        seat=seat,
        shop_rate=next((r for r in rates if r.product_id == SHOP_WIDE), None),
        product_rates=[r for r in rates if r.product_id != SHOP_WIDE],
        products=await catalog_service.list_for_shop(session, shop_id=seat.shop.id),
        percent=plans.format_rate,
        error=error,
        form=form or {},
    )


@router.get("", response_class=HTMLResponse)
async def overview(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _overview(page, seat, session)


@router.post("/rates", dependencies=[CsrfChecked], response_model=None)
async def set_rate(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    """The shop-wide rate (product_id 0) or one product's rate."""
    form = await form_fields(request)

    async def write(global_: AsyncSession) -> None:
        await plans.set_open_rate(
            global_,
            shop_id=seat.shop.id,
            product_id=_int(form.get("product_id", ""), "a product"),
            rate_bp=plans.parse_rate_percent(form.get("rate", "")),
        )

    async def again(exc: DomainError) -> HTMLResponse:
        return await _overview(
            page, seat, session, status_code=exc.status_code, error=exc.message, form=form
        )

    return await submit(
        page,
        databases,
        write,
        done=f"Commission rate set to {form.get('rate', '').strip().removesuffix('%')}%.",
        to="/seller/affiliate",
        again=again,
    )


@router.post("/rates/{product_id}/end", dependencies=[CsrfChecked], response_model=None)
async def end_rate(
    product_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await plans.end_open_rate(global_, shop_id=seat.shop.id, product_id=product_id)

    async def again(exc: DomainError) -> HTMLResponse:
        return await _overview(page, seat, session, status_code=exc.status_code, error=exc.message)

    return await submit(
        page,
        databases,
        write,
        done="Commission rate ended. Creators earn nothing more on it from now on.",
        to="/seller/affiliate",
        again=again,
    )


# --- invitations --------------------------------------------------------------------------------


async def _invitations(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    now = utcnow()
    return page.render(
        "seller/affiliate_invitations.html",
        status_code=status_code,
        seat=seat,
        invitations=await plans.shop_invitations(session, shop_id=seat.shop.id),
        products=await catalog_service.list_for_shop(session, shop_id=seat.shop.id),
        percent=plans.format_rate,
        min_date=now.date().isoformat(),
        max_date=plans.latest_expiry(now).isoformat(),
        error=error,
        form=form or {"product_ids": []},
    )


@router.get("/invitations", response_class=HTMLResponse)
async def invitations(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _invitations(page, seat, session)


def _expiry_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Choose the date the invitation expires.") from None


@router.post("/invitations", dependencies=[CsrfChecked], response_model=None)
async def invite(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    raw = await request.form()
    form: dict[str, Any] = await form_fields(request)
    form["product_ids"] = [str(v) for v in raw.getlist("product_ids")]

    async def write(global_: AsyncSession) -> None:
        await plans.invite(
            global_,
            shop_id=seat.shop.id,
            handle=form.get("handle", ""),
            rate_bp=plans.parse_rate_percent(form.get("rate", "")),
            product_ids=[_int(v, "the products") for v in form["product_ids"]],
            expires_at=plans.end_of_day(_expiry_date(form.get("expires_on", ""))),
            samples_offered=form.get("samples_offered") == "yes",
            message=form.get("message", ""),
        )

    async def again(exc: DomainError) -> HTMLResponse:
        return await _invitations(
            page, seat, session, status_code=exc.status_code, error=exc.message, form=form
        )

    handle = form.get("handle", "").strip().lstrip("@")
    return await submit(
        page,
        databases,
        write,
        done=f"Invitation sent to @{handle}.",
        to="/seller/affiliate/invitations",
        again=again,
    )


@router.post(
    "/invitations/{invitation_id}/withdraw", dependencies=[CsrfChecked], response_model=None
)
async def withdraw(
    invitation_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await plans.withdraw(global_, shop_id=seat.shop.id, invitation_id=invitation_id)

    async def again(exc: DomainError) -> HTMLResponse:
        return await _invitations(
            page, seat, session, status_code=exc.status_code, error=exc.message
        )

    return await submit(
        page,
        databases,
        write,
        done="Invitation withdrawn. Its rate no longer applies.",
        to="/seller/affiliate/invitations",
        again=again,
    )


# --- samples ------------------------------------------------------------------------------------


async def _samples(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return page.render(
        "seller/affiliate_samples.html",
        status_code=status_code,
        seat=seat,
        samples=await plans.shop_samples(session, shop_id=seat.shop.id),
        error=error,
        form=form or {},
    )


@router.get("/samples", response_class=HTMLResponse)
async def samples(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _samples(page, seat, session)


async def _sample_action(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    databases: Databases,
    write: Write,
    *,
    done: str,
    form: Mapping[str, str] | None = None,
) -> HTMLResponse | RedirectResponse:
    async def again(exc: DomainError) -> HTMLResponse:
        return await _samples(
            page, seat, session, status_code=exc.status_code, error=exc.message, form=form
        )

    return await submit(
        page, databases, write, done=done, to="/seller/affiliate/samples", again=again
    )


async def _decide(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    databases: Databases,
    sample_id: int,
    *,
    approve: bool,
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await plans.decide_sample(
            global_, shop_id=seat.shop.id, sample_id=sample_id, approve=approve
        )

    done = (
        "Sample approved. Ship it, then add the tracking number."
        if approve
        else "Sample request rejected."
    )
    return await _sample_action(page, seat, session, databases, write, done=done)


@router.post("/samples/{sample_id}/approve", dependencies=[CsrfChecked], response_model=None)
async def approve_sample(
    sample_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    return await _decide(page, seat, session, databases, sample_id, approve=True)


@router.post("/samples/{sample_id}/reject", dependencies=[CsrfChecked], response_model=None)
async def reject_sample(
    sample_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    return await _decide(page, seat, session, databases, sample_id, approve=False)


@router.post("/samples/{sample_id}/ship", dependencies=[CsrfChecked], response_model=None)
async def ship_sample(
    sample_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = await form_fields(request)

    async def write(global_: AsyncSession) -> None:
        await plans.ship_sample(
            global_,
            shop_id=seat.shop.id,
            sample_id=sample_id,
            carrier=form.get("carrier", ""),
            tracking_number=form.get("tracking_number", ""),
        )

    return await _sample_action(
        page,
        seat,
        session,
        databases,
        write,
        done="Sample marked shipped. The creator can follow the tracking number.",
        form={**form, "sample_id": str(sample_id)},
    )
