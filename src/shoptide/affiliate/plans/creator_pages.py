"""Creator Center → Invitations: the invitations shops sent the creator, to accept or
decline (an accepted one's rate applies to its products until it expires)."""

from functools import partial
from typing import Unpack

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import CreatorDesk, CreatorDeskDep, Shown, creator_page
from shoptide.affiliate.plans import flows
from shoptide.affiliate.plans import service as plans
from shoptide.deps import CsrfChecked
from shoptide.ids import Id
from shoptide.web.forms import error_status, submit

router = APIRouter(prefix="/creator")

ANSWERED = {
    True: "Invitation accepted: its rate applies to its products until it expires.",
    False: "Invitation declined.",
}


async def _invitations_page(desk: CreatorDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    found = await plans.creator_invitations(desk.session, creator_id=desk.seat.creator.id)
    return await creator_page(desk, "invitations.html", invitations=found, **shown)


async def _respond(
    desk: CreatorDesk, invitation_id: Id, *, accept: bool
) -> HTMLResponse | RedirectResponse:
    creator_id = desk.seat.creator.id
    return await submit(
        desk.page,
        partial(
            flows.respond,
            desk.databases,
            creator_id=creator_id,
            invitation_id=invitation_id,
            accept=accept,
        ),
        again=partial(_invitations_page, desk),
        done=ANSWERED[accept],
        to="/creator/invitations",
        status=error_status,
    )


@router.get("/invitations", response_class=HTMLResponse)
async def invitations_page(desk: CreatorDeskDep) -> HTMLResponse:
    return await _invitations_page(desk)


@router.post("/invitations/{invitation_id}/accept", dependencies=[CsrfChecked], response_model=None)
async def accept_invitation(
    invitation_id: Id, desk: CreatorDeskDep
) -> HTMLResponse | RedirectResponse:
    return await _respond(desk, invitation_id, accept=True)


@router.post(
    "/invitations/{invitation_id}/decline", dependencies=[CsrfChecked], response_model=None
)
async def decline_invitation(
    invitation_id: Id, desk: CreatorDeskDep
) -> HTMLResponse | RedirectResponse:
    return await _respond(desk, invitation_id, accept=False)
