"""Seller Center → Affiliate: the shop's open plan and its invitations to creators.

A write is one flow call (its own unit of work): a domain error rolls it back and the page
is shown again with the message and what the merchant typed; success flashes and redirects.
"""

from datetime import date
from functools import partial
from typing import Any, Unpack

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import SellerDesk, SellerDeskDep, Shown
from shoptide.affiliate.plans import flows
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.rates import format_rate, parse_rate_percent
from shoptide.db import utcnow
from shoptide.deps import CsrfChecked
from shoptide.errors import InvalidInput
from shoptide.ids import Id
from shoptide.web.forms import error_status, submit, text_fields

router = APIRouter(prefix="/seller/affiliate")

PageOrRedirect = HTMLResponse | RedirectResponse


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"Choose {what}.") from None


def _expiry_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Choose the date the invitation expires.") from None


async def _overview(desk: SellerDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    found = await plans.overview(desk.session, shop_id=desk.seat.shop.id)
    return desk.page.render(
        "seller/affiliate.html",
        status_code=shown.get("status_code", 200),
        seat=desk.seat,
        shop_rate=found.shop_rate,
        product_rates=found.product_rates,
        products=found.products,
        percent=format_rate,
        error=shown.get("error"),
        form=shown.get("form") or {},
    )


async def _invitations(desk: SellerDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    now = utcnow()
    found = await plans.shop_invitations_page(desk.session, shop_id=desk.seat.shop.id, now=now)
    return desk.page.render(
        "seller/affiliate_invitations.html",
        status_code=shown.get("status_code", 200),
        seat=desk.seat,
        invitations=found.invitations,
        products=found.products,
        percent=format_rate,
        min_date=now.date().isoformat(),
        max_date=plans.latest_expiry(now).isoformat(),
        error=shown.get("error"),
        form=shown.get("form") or {"product_ids": []},
    )


# --- the open plan ------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def overview(desk: SellerDeskDep) -> HTMLResponse:
    return await _overview(desk)


@router.post("/rates", dependencies=[CsrfChecked], response_model=None)
async def set_rate(request: Request, desk: SellerDeskDep) -> PageOrRedirect:
    """The shop-wide rate (product_id 0) or one product's rate."""
    form = await text_fields(request)

    async def action() -> object:
        return await flows.set_open_rate(
            desk.databases,
            shop_id=desk.seat.shop.id,
            product_id=_int(form.get("product_id", ""), "a product"),
            rate_bp=parse_rate_percent(form.get("rate", "")),
        )

    rate = form.get("rate", "").strip().removesuffix("%")
    return await submit(
        desk.page,
        action,
        again=partial(_overview, desk),
        done=f"Commission rate set to {rate}%.",
        to="/seller/affiliate",
        form=form,
        status=error_status,
    )


@router.post("/rates/{product_id}/end", dependencies=[CsrfChecked], response_model=None)
async def end_rate(product_id: Id, desk: SellerDeskDep) -> PageOrRedirect:
    shop_id = desk.seat.shop.id
    return await submit(
        desk.page,
        partial(flows.end_open_rate, desk.databases, shop_id=shop_id, product_id=product_id),
        again=partial(_overview, desk),
        done="Commission rate ended. Creators earn nothing more on it from now on.",
        to="/seller/affiliate",
        status=error_status,
    )


# --- invitations --------------------------------------------------------------------------------


@router.get("/invitations", response_class=HTMLResponse)
async def invitations(desk: SellerDeskDep) -> HTMLResponse:
    return await _invitations(desk)


@router.post("/invitations", dependencies=[CsrfChecked], response_model=None)
async def invite(request: Request, desk: SellerDeskDep) -> PageOrRedirect:
    form: dict[str, Any] = await text_fields(request)
    form["product_ids"] = [str(v) for v in (await request.form()).getlist("product_ids")]

    async def action() -> object:
        return await flows.invite(
            desk.databases,
            shop_id=desk.seat.shop.id,
            handle=form.get("handle", ""),
            rate_bp=parse_rate_percent(form.get("rate", "")),
            product_ids=[_int(v, "the products") for v in form["product_ids"]],
            expires_at=plans.end_of_day(_expiry_date(form.get("expires_on", ""))),
            samples_offered=form.get("samples_offered") == "yes",
            message=form.get("message", ""),
        )

    return await submit(
        desk.page,
        action,
        again=partial(_invitations, desk),
        done=f"Invitation sent to @{form.get('handle', '').strip().lstrip('@')}.",
        to="/seller/affiliate/invitations",
        form=form,
        status=error_status,
    )


@router.post(
    "/invitations/{invitation_id}/withdraw", dependencies=[CsrfChecked], response_model=None
)
async def withdraw(invitation_id: Id, desk: SellerDeskDep) -> PageOrRedirect:
    shop_id = desk.seat.shop.id
    return await submit(
        desk.page,
        partial(flows.withdraw, desk.databases, shop_id=shop_id, invitation_id=invitation_id),
        again=partial(_invitations, desk),
        done="Invitation withdrawn. Its rate no longer applies.",
        to="/seller/affiliate/invitations",
        status=error_status,
    )
