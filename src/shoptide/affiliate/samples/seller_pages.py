"""Seller Center → Affiliate → Samples: the free samples creators asked for under the shop's
invitations, to approve or reject, then ship with a tracking number."""

from functools import partial
from typing import Unpack

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import SellerDesk, SellerDeskDep, Shown
from shoptide.affiliate.samples import flows
from shoptide.affiliate.samples import service as samples
from shoptide.deps import CsrfChecked
from shoptide.ids import Id
from shoptide.web.forms import error_status, submit, text_fields

router = APIRouter(prefix="/seller/affiliate")

PageOrRedirect = HTMLResponse | RedirectResponse
DECIDED = {
    True: "Sample approved. Ship it, then add the tracking number.",
    False: "Sample request rejected.",
}


async def _samples(desk: SellerDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    return desk.page.render(
        "seller/affiliate_samples.html",
        status_code=shown.get("status_code", 200),
        seat=desk.seat,
        samples=await samples.for_shop(desk.session, shop_id=desk.seat.shop.id),
        error=shown.get("error"),
        form=shown.get("form") or {},
    )


async def _decide(desk: SellerDesk, sample_id: Id, *, approve: bool) -> PageOrRedirect:
    shop_id = desk.seat.shop.id
    return await submit(
        desk.page,
        partial(
            flows.decide, desk.databases, shop_id=shop_id, sample_id=sample_id, approve=approve
        ),
        again=partial(_samples, desk),
        done=DECIDED[approve],
        to="/seller/affiliate/samples",
        status=error_status,
    )


@router.get("/samples", response_class=HTMLResponse)
async def samples_page(desk: SellerDeskDep) -> HTMLResponse:
    return await _samples(desk)


@router.post("/samples/{sample_id}/approve", dependencies=[CsrfChecked], response_model=None)
async def approve_sample(sample_id: Id, desk: SellerDeskDep) -> PageOrRedirect:
    return await _decide(desk, sample_id, approve=True)


@router.post("/samples/{sample_id}/reject", dependencies=[CsrfChecked], response_model=None)
async def reject_sample(sample_id: Id, desk: SellerDeskDep) -> PageOrRedirect:
    return await _decide(desk, sample_id, approve=False)


@router.post("/samples/{sample_id}/ship", dependencies=[CsrfChecked], response_model=None)
async def ship_sample(sample_id: Id, request: Request, desk: SellerDeskDep) -> PageOrRedirect:
    form = await text_fields(request)
    return await submit(
        desk.page,
        partial(
            flows.ship,
            desk.databases,
            shop_id=desk.seat.shop.id,
            sample_id=sample_id,
            carrier=form.get("carrier", ""),
            tracking_number=form.get("tracking_number", ""),
        ),
        again=partial(_samples, desk),
        done="Sample marked shipped. The creator can follow the tracking number.",
        to="/seller/affiliate/samples",
        form={**form, "sample_id": str(sample_id)},
        status=error_status,
    )
