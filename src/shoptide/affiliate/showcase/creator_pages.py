"""Creator Center's home, the creator's showcase (add from the marketplace, reorder, remove)
and their videos, which tag products of the showcase."""

from functools import partial
from typing import Annotated, Unpack

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.desks import CreatorDesk, CreatorDeskDep, Shown, creator_page
from shoptide.affiliate.showcase import flows
from shoptide.affiliate.showcase import service as showcase
from shoptide.content import service as content_service
from shoptide.content.models import MAX_TAGGED_PRODUCTS
from shoptide.creators.deps import CurrentCreator
from shoptide.deps import CsrfChecked, DatabasesDep
from shoptide.ids import Id
from shoptide.web.forms import error_status, submit
from shoptide.web.rendering import PageDep

router = APIRouter(prefix="/creator")

PageOrRedirect = HTMLResponse | RedirectResponse
SHOWCASE = "/creator/showcase"


def _back(target: str, default: str) -> str:
    """Where a form sends the creator back to: one of the Creator Center's own pages."""
    return target if target.startswith("/creator/") and "//" not in target else default


async def _showcase_page(desk: CreatorDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    creator = desk.seat.creator
    found = await showcase.products(desk.session, creator_id=creator.id, market=creator.market_code)
    return await creator_page(desk, "showcase.html", products=found, **shown)


async def _videos_page(desk: CreatorDesk, **shown: Unpack[Shown]) -> HTMLResponse:
    found = await flows.studio(desk.databases, creator=desk.seat.creator)
    return desk.page.render(
        "creator/videos.html",
        status_code=shown.get("status_code", 200),
        seat=desk.seat,
        videos=found.videos,
        showcase=found.showcase,
        max_tags=MAX_TAGGED_PRODUCTS,
        max_bytes=desk.databases.settings.max_video_bytes,
        form=shown.get("form") or {"caption": "", "product_ids": []},
        error=shown.get("error"),
    )


@router.get("", response_class=HTMLResponse)
async def home(page: PageDep, seat: CurrentCreator, databases: DatabasesDep) -> HTMLResponse:
    found = await flows.studio(databases, creator=seat.creator)
    return page.render(
        "creator/dashboard.html",
        seat=seat,
        showcase_count=len(found.showcase),
        video_count=len(found.videos),
    )


# --- showcase -----------------------------------------------------------------------------------


@router.get("/showcase", response_class=HTMLResponse)
async def showcase_page(desk: CreatorDeskDep) -> HTMLResponse:
    return await _showcase_page(desk)


@router.post("/showcase", dependencies=[CsrfChecked], response_model=None)
async def add_to_showcase(
    desk: CreatorDeskDep,
    product_id: Annotated[Id, Form()],
    back: Annotated[str, Form(max_length=500)] = SHOWCASE,
) -> PageOrRedirect:
    return await submit(
        desk.page,
        partial(flows.add, desk.databases, creator=desk.seat.creator, product_id=product_id),
        again=partial(_showcase_page, desk),
        done="Added to your showcase.",
        to=_back(back, SHOWCASE),
        status=error_status,
    )


@router.post("/showcase/{product_id}/remove", dependencies=[CsrfChecked], response_model=None)
async def remove_from_showcase(product_id: Id, desk: CreatorDeskDep) -> PageOrRedirect:
    creator_id = desk.seat.creator.id
    return await submit(
        desk.page,
        partial(flows.remove, desk.databases, creator_id=creator_id, product_id=product_id),
        again=partial(_showcase_page, desk),
        done="Removed from your showcase.",
        to=SHOWCASE,
        status=error_status,
    )


@router.post("/showcase/{product_id}/move", dependencies=[CsrfChecked], response_model=None)
async def move_in_showcase(
    product_id: Id, desk: CreatorDeskDep, direction: Annotated[str, Form(max_length=4)]
) -> PageOrRedirect:
    creator_id = desk.seat.creator.id
    return await submit(
        desk.page,
        partial(
            flows.move,
            desk.databases,
            creator_id=creator_id,
            product_id=product_id,
            direction=direction,
        ),
        again=partial(_showcase_page, desk),
        done="Showcase reordered.",
        to=SHOWCASE,
        status=error_status,
    )


# --- videos -------------------------------------------------------------------------------------


@router.get("/videos", response_class=HTMLResponse)
async def videos(desk: CreatorDeskDep) -> HTMLResponse:
    return await _videos_page(desk)


@router.post("/videos", dependencies=[CsrfChecked], response_model=None)
async def upload_video(
    desk: CreatorDeskDep,
    video: Annotated[UploadFile, File()],
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[list[Id] | None, Form()] = None,
) -> PageOrRedirect:
    """A video in the creator's market, tagging products of their showcase only."""

    async def action() -> object:
        content_service.ensure_chosen(video)
        uploaded = await flows.upload_video(
            desk.databases,
            creator=desk.seat.creator,
            caption=caption,
            product_ids=product_ids or [],
            file=video.file,
            filename=video.filename or "",
        )
        desk.page.request.app.state.dispatcher.nudge()  # transcode now, not at the next tick
        return uploaded

    return await submit(
        desk.page,
        action,
        again=partial(_videos_page, desk),
        done="Video uploaded. It is being processed; it goes live when it is ready.",
        to="/creator/videos",
        form={"caption": caption, "product_ids": product_ids or []},
        status=error_status,
    )
