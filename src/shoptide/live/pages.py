"""Live room pages for shoppers: the market's rooms, a room, and "remind me". (The host's
pages are live.seller_pages.)

What happens in a room while it runs (comments, viewer counts, pins, deals) reaches the
page over the room's socket (ws.py, live.js).
"""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.deps import CellRead, CsrfChecked, CurrentUser, DatabasesDep, OptionalUser
from shoptide.live import flows, media, service
from shoptide.web.rendering import PageDep

public_router = APIRouter()
router = APIRouter()  # signed in


@public_router.get("/live", response_class=HTMLResponse)
async def live_now(page: PageDep, user: OptionalUser, cell: CellRead) -> HTMLResponse:
    """Rooms live now in the shopper's market, then the coming ones with "remind me"."""
    shown = await service.on_air(cell, market=page.market.code, user=user)
    return page.render(
        "live/index.html",
        live=shown.live,
        upcoming=shown.upcoming,
        reminded=shown.reminded,
        can_remind=shown.can_remind,
    )


@public_router.get("/live/{public_name}", response_class=HTMLResponse)
async def room_page(
    public_name: str, page: PageDep, user: OptionalUser, databases: DatabasesDep
) -> HTMLResponse:
    shown = await flows.room_page(databases, public_name, user=user)
    return page.render(
        "live/room.html",
        room=shown.room,
        room_market=shown.market,
        hls_url=shown.hls_url,
        video_available=media.video_available(databases.settings),
        replay_url=shown.replay_url,
        chapters=shown.chapters,
        reminded=shown.reminded,
        can_remind=shown.can_remind,
    )


def _back_to(target: str, public_name: str) -> str:
    return target if target in ("/live", f"/live/{public_name}") else f"/live/{public_name}"


@router.post("/live/{public_name}/remind", dependencies=[CsrfChecked])
async def remind_me(
    public_name: str,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    next: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    title = await flows.remind(databases, public_name, user=user)
    page.flash(page.gettext("We'll let you know when “%(title)s” starts.", title=title))
    return RedirectResponse(_back_to(next, public_name), status_code=303)
