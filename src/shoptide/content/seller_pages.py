"""Seller Center's short videos: the shop's videos, the upload form, a video's progress and
moderation page."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service as catalog_service
from shoptide.content import flows, service
from shoptide.content.models import MAX_TAGGED_PRODUCTS, Video
from shoptide.content.schemas import VideoCreate
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep, GlobalRead, Seat
from shoptide.errors import InvalidInput
from shoptide.ids import BigId, Id
from shoptide.web.forms import error_status, submit
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller")

VIDEO = "/videos/{market}/{video_id}"


@router.get("/videos", response_class=HTMLResponse)
async def my_videos(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    videos = await flows.list_for_shop(databases, shop_id=seat.shop.id)
    return page.render("seller/videos.html", seat=seat, videos=videos)


async def _upload_page(page: Page, seat: Seat, session: AsyncSession, **shown: Any) -> HTMLResponse:
    """The upload form; `shown` overrides what it shows (status, error, what was typed)."""
    products = await catalog_service.list_for_shop(session, shop_id=seat.shop.id)
    return page.render(
        "seller/video_new.html",
        **{
            "seat": seat,
            "products": [p for p in products if p.status == "published"],
            "max_tags": MAX_TAGGED_PRODUCTS,
            "max_bytes": page.request.app.state.settings.max_video_bytes,
            "form": {"market": page.market.code, "product_ids": []},
            "error": None,
            **shown,
        },
    )


@router.get("/videos/new", response_class=HTMLResponse)
async def new_video(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _upload_page(page, seat, session)


async def _upload(
    databases: Databases, seat: Seat, video: UploadFile, typed: Mapping[str, Any]
) -> Video:
    service.ensure_chosen(video)
    if len(typed["market"]) != 2:
        raise InvalidInput("Choose the market the video is for.")
    return await flows.upload(
        databases,
        shop_id=seat.shop.id,
        host_user_id=seat.user.user_id,
        data=VideoCreate.model_validate(typed),
        file=video.file,
        filename=video.filename or "",
    )


@router.post("/videos", dependencies=[CsrfChecked], response_model=None)
async def upload_video(
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
    video: Annotated[UploadFile, File()],
    market: Annotated[str, Form(max_length=2)] = "",
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[list[Id] | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    typed = {"market": market, "caption": caption, "product_ids": product_ids or []}

    async def upload() -> Video:
        created = await _upload(databases, seat, video, typed)
        page.request.app.state.dispatcher.nudge()  # transcode now, not at the next tick
        return created

    async def again(*, status_code: int, error: str, form: Any) -> HTMLResponse:
        return await _upload_page(
            page, seat, session, status_code=status_code, error=error, form=form
        )

    return await submit(
        page,
        upload,
        again=again,
        done="Video uploaded. It is being processed: this page shows how far along it is.",
        to=lambda created: f"/seller/videos/{created.market_code}/{created.id}",
        form=typed,
        status=error_status,
    )


@router.get(VIDEO, response_class=HTMLResponse)
async def my_video(
    market: str, video_id: Id, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    shown = await flows.shop_video_page(
        databases, shop_id=seat.shop.id, market=market, video_id=video_id
    )
    return page.render(
        "seller/video.html",
        seat=seat,
        video=shown.video,
        comments=shown.comments,
        products=shown.products,
    )


@router.get(VIDEO + "/status", response_class=HTMLResponse)
async def my_video_status(
    market: str, video_id: Id, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    """The part of the video's page that follows processing (htmx polls it every second)."""
    video = await flows.shop_video(
        databases, shop_id=seat.shop.id, market=market, video_id=video_id
    )
    return page.render("seller/_video_status.html", video=video)


@router.post(VIDEO + "/remove", dependencies=[CsrfChecked])
async def remove_video(
    market: str, video_id: Id, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> RedirectResponse:
    await flows.remove_for_shop(databases, video_id, shop_id=seat.shop.id, market=market)
    page.flash("Video removed. Shoppers can no longer watch it.")
    return RedirectResponse("/seller/videos", status_code=303)


@router.post(VIDEO + "/comments/{comment_id}/remove", dependencies=[CsrfChecked])
async def remove_comment(
    market: str,
    video_id: Id,
    comment_id: BigId,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> RedirectResponse:
    video = await flows.remove_comment_for_shop(
        databases, shop_id=seat.shop.id, market=market, video_id=video_id, comment_id=comment_id
    )
    page.flash("Comment removed.")
    return RedirectResponse(f"/seller/videos/{video.market_code}/{video.id}", status_code=303)
