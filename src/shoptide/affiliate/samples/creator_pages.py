"""Creator Center → Samples: the free samples the creator asked for, and the form to ask
for one of a product of an accepted invitation that offers samples."""

from functools import partial
from typing import Unpack

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import CreatorDesk, CreatorDeskDep, Shown, creator_page
from shoptide.affiliate.samples import flows
from shoptide.affiliate.samples import service as samples
from shoptide.deps import CsrfChecked
from shoptide.errors import InvalidInput
from shoptide.web.forms import error_status, submit, text_fields

router = APIRouter(prefix="/creator")


async def _samples_page(desk: CreatorDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    found = await samples.creator_page(desk.session, creator_id=desk.seat.creator.id)
    shown["form"] = shown.get("form") or {}
    return await creator_page(
        desk, "samples.html", samples=found.samples, choices=found.choices, **shown
    )


def _choice(value: str) -> tuple[int, int]:
    """The form's "invitation:product" pair."""
    invitation_id, _, product_id = value.partition(":")
    if not (invitation_id.isdigit() and product_id.isdigit()):
        raise InvalidInput("Choose the product you would like a sample of.")
    return int(invitation_id), int(product_id)


@router.get("/samples", response_class=HTMLResponse)
async def samples_page(desk: CreatorDeskDep) -> HTMLResponse:
    return await _samples_page(desk)


@router.post("/samples", dependencies=[CsrfChecked], response_model=None)
async def request_sample(request: Request, desk: CreatorDeskDep) -> HTMLResponse | RedirectResponse:
    form = await text_fields(request)

    async def action() -> object:
        invitation_id, product_id = _choice(form.get("choice", ""))
        return await flows.request(
            desk.databases,
            creator_id=desk.seat.creator.id,
            invitation_id=invitation_id,
            product_id=product_id,
            ship_to=form.get("ship_to", ""),
            note=form.get("note", ""),
        )

    return await submit(
        desk.page,
        action,
        again=partial(_samples_page, desk),
        done="Sample requested. The shop will approve it and ship it to you.",
        to="/creator/samples",
        form=form,
        status=error_status,
    )
