"""Short-video pages: the shopper's video page with its engagement, and Seller Center's
upload, progress and moderation pages.

The video page's buttons post with htmx and get back the part of the page they change, so
the video keeps playing; without JavaScript the same forms post and come back to the page.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import creators
from shoptide.affiliate.models import Creator
from shoptide.catalog import service as catalog_service
from shoptide.content import service
from shoptide.content.api import ensure_chosen
from shoptide.content.deps import VideoCellRead, VideoCellWrite, VideoMarket, ViewerId, throttled
from shoptide.content.models import MAX_TAGGED_PRODUCTS, Video
from shoptide.content.schemas import VideoCreate
from shoptide.db import Databases
from shoptide.deps import (
    CsrfChecked,
    CurrentSeat,
    CurrentShopper,
    DatabasesDep,
    GlobalRead,
    Seat,
)
from shoptide.errors import DomainError, InvalidInput, NotFound
from shoptide.markets import service as markets_service
from shoptide.web.rendering import Page, PageDep

public_router = APIRouter()
router = APIRouter(prefix="/seller")

VIDEO = "/videos/{market}/{video_id}"
PING_INTERVAL_MS = 5_000


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def _back_to(video: Video, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/videos/{video.market_code}/{video.id}{anchor}", status_code=303)


# --- the shopper's video page ---------------------------------------------------------------


async def _engagement_context(
    cell: AsyncSession, video: Video, viewer: int | None, **extra: Any
) -> dict[str, Any]:
    liked = viewer is not None and await service.has_liked(cell, video, shopper_id=viewer)
    return {
        "video": video,
        "liked": liked,
        "comments": await service.list_comments(cell, video),
        "error": None,
        "typed": "",
        **extra,
    }


@public_router.get(VIDEO, response_class=HTMLResponse, response_model=None)
async def video_page(
    video_id: int,
    request: Request,
    market: VideoMarket,
    page: PageDep,
    session: GlobalRead,
    cell: VideoCellRead,
    viewer: ViewerId,
) -> HTMLResponse | RedirectResponse:
    if market != page.market.code:  # a visitor follows a link to another market: browse it
        try:
            request.session["market"] = (await markets_service.get(session, market)).code
        except InvalidInput:
            raise NotFound("This video isn't available.") from None
        return RedirectResponse(request.url.path, status_code=303)
    video = await service.get_ready(cell, video_id, market=market)
    return page.render(
        "content/video.html",
        products=await service.tagged_products(session, video, market=market),
        ping_interval_ms=PING_INTERVAL_MS,
        creator=await _creator_host(session, video),
        **await _engagement_context(cell, video, viewer),
    )


async def _creator_host(session: AsyncSession, video: Video) -> Creator | None:
    """The creator hosting the video; a shop's video has none."""
    if video.shop_id is not None:
        return None
    return (await creators.of_hosts(session, [video.host_user_id])).get(video.host_user_id)


async def _actions(
    request: Request, page: Page, cell: AsyncSession, video: Video, viewer: int | None
) -> Response:
    if not _is_htmx(request):
        return _back_to(video)
    return page.render("content/_actions.html", **await _engagement_context(cell, video, viewer))


@public_router.post(
    VIDEO + "/share", dependencies=[CsrfChecked, throttled("share")], response_model=None
)
async def share(
    video_id: int,
    request: Request,
    market: VideoMarket,
    page: PageDep,
    cell: VideoCellWrite,
    viewer: ViewerId,
) -> Response:
    video = await service.get_ready(cell, video_id, market=market)
    await service.share(cell, video, shopper_id=viewer)
    return await _actions(request, page, cell, video, viewer)


@public_router.post(VIDEO + "/comments", dependencies=[CsrfChecked], response_model=None)
async def post_comment(
    video_id: int,
    request: Request,
    market: VideoMarket,
    page: PageDep,
    session: GlobalRead,
    cell: VideoCellWrite,
    user: CurrentShopper,
    body: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    video = await service.get_ready(cell, video_id, market=market)
    try:
        text = await service.check_comment(session, market, body)
    except InvalidInput as exc:
        if not _is_htmx(request):
            raise
        context = await _engagement_context(
            cell, video, user.user_id, error=exc.message, typed=body
        )
        return page.render("content/_comments.html", status_code=exc.status_code, **context)
    await service.comment(
        cell, video, shopper_id=user.user_id, author_name=user.display_name, body=text
    )
    if not _is_htmx(request):
        return _back_to(video, "#comments")
    return page.render(
        "content/_comments.html", **await _engagement_context(cell, video, user.user_id)
    )


# The player's beacons (navigator.sendBeacon): nobody reads the answer.


@public_router.post(VIDEO + "/view", dependencies=[CsrfChecked, throttled("view")], status_code=204)
async def view(video_id: int, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId) -> None:
    video = await service.get_ready(cell, video_id, market=market)
    await service.view(cell, video, shopper_id=viewer)


@public_router.post(
    VIDEO + "/watch", dependencies=[CsrfChecked, throttled("watch")], status_code=204
)
async def watch(
    video_id: int,
    market: VideoMarket,
    cell: VideoCellWrite,
    viewer: ViewerId,
    watch_ms: Annotated[int, Form(ge=0, le=3_600_000)],
) -> None:
    video = await service.get_ready(cell, video_id, market=market)
    await service.watch(cell, video, shopper_id=viewer, watch_ms=watch_ms)


# after every other POST under VIDEO: routes match in order
@public_router.post(VIDEO + "/{choice}", dependencies=[CsrfChecked], response_model=None)
async def like(
    video_id: int,
    choice: Literal["like", "unlike"],
    request: Request,
    market: VideoMarket,
    page: PageDep,
    cell: VideoCellWrite,
    user: CurrentShopper,
) -> Response:
    """Like or unlike the video."""
    video = await service.get_ready(cell, video_id, market=market)
    act = service.like if choice == "like" else service.unlike
    await act(cell, video, shopper_id=user.user_id)
    return await _actions(request, page, cell, video, user.user_id)


# --- Seller Center ----------------------------------------------------------------------------


@router.get("/videos", response_class=HTMLResponse)
async def my_videos(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    videos = await service.list_for_shop(databases, shop_id=seat.shop.id)
    return page.render("seller/videos.html", seat=seat, videos=videos)


async def _upload_form(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    products = await catalog_service.list_for_shop(session, shop_id=seat.shop.id)
    return page.render(
        "seller/video_new.html",
        status_code=status_code,
        seat=seat,
        products=[p for p in products if p.status == "published"],
        max_tags=MAX_TAGGED_PRODUCTS,
        max_bytes=page.request.app.state.settings.max_video_bytes,
        form=form or {"market": page.market.code, "product_ids": []},
        error=error,
    )


@router.get("/videos/new", response_class=HTMLResponse)
async def new_video(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _upload_form(page, seat, session)


@router.post("/videos", dependencies=[CsrfChecked], response_model=None)
async def upload_video(
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
    video: Annotated[UploadFile, File()],
    market: Annotated[str, Form(max_length=2)] = "",
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[list[int] | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    typed = {"market": market, "caption": caption, "product_ids": product_ids or []}
    try:
        ensure_chosen(video)
        if len(market) != 2:
            raise InvalidInput("Choose the market the video is for.")
        created = await service.upload(
            databases,
            shop_id=seat.shop.id,
            host_user_id=seat.user.user_id,
            data=VideoCreate(market=market, caption=caption, product_ids=product_ids or []),
            file=video.file,
            filename=video.filename or "",
        )
    except DomainError as exc:
        return await _upload_form(
            page, seat, session, status_code=exc.status_code, form=typed, error=exc.message
        )
    page.request.app.state.dispatcher.nudge()  # start the transcode now, not at the next tick
    page.flash("Video uploaded. It is being processed: this page shows how far along it is.")
    return RedirectResponse(f"/seller/videos/{created.market_code}/{created.id}", status_code=303)


async def _my_video(databases: Databases, seat: Seat, market: str, video_id: int) -> Video:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        return await service.get_for_shop(s, video_id, shop_id=seat.shop.id, market=market)


@router.get(VIDEO, response_class=HTMLResponse)
async def my_video(
    market: str,
    video_id: int,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
) -> HTMLResponse:
    video = await _my_video(databases, seat, market, video_id)
    async with databases.session(databases.settings.cell_of_market(market), write=False) as cell:
        comments = await service.list_comments(cell, video)
    return page.render(
        "seller/video.html",
        seat=seat,
        video=video,
        comments=comments,
        products=await service.tagged_titles(session, video),
    )


@router.get(VIDEO + "/status", response_class=HTMLResponse)
async def my_video_status(
    market: str, video_id: int, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    """The part of the video's page that follows processing (htmx polls it every second)."""
    video = await _my_video(databases, seat, market, video_id)
    return page.render("seller/_video_status.html", video=video)


@router.post(VIDEO + "/remove", dependencies=[CsrfChecked])
async def remove_video(
    market: str, video_id: int, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> RedirectResponse:
    await service.remove_for_shop(databases, video_id, shop_id=seat.shop.id, market=market)
    page.flash("Video removed. Shoppers can no longer watch it.")
    return RedirectResponse("/seller/videos", status_code=303)


@router.post(VIDEO + "/comments/{comment_id}/remove", dependencies=[CsrfChecked])
async def remove_comment(
    market: str,
    video_id: int,
    comment_id: int,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> RedirectResponse:
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        video = await service.get_for_shop(cell, video_id, shop_id=seat.shop.id, market=market)
        await service.remove_comment(cell, comment_id, video_id=video.id)
    page.flash("Comment removed.")
    return RedirectResponse(f"/seller/videos/{video.market_code}/{video.id}", status_code=303)
