"""The shopper's video page and its engagement (Seller Center's video pages are
content.seller_pages).

The video page's buttons post with htmx and get back the part of the page they change, so
the video keeps playing; without JavaScript the same forms post and come back to the page.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.content import engagement
from shoptide.content.deps import VideoCellRead, VideoCellWrite, VideoMarket, ViewerId, throttled
from shoptide.content.engagement import Engagement
from shoptide.content.models import Video
from shoptide.deps import CsrfChecked, CurrentShopper, GlobalRead
from shoptide.errors import InvalidInput, NotFound
from shoptide.ids import Id
from shoptide.markets import service as markets_service
from shoptide.web.rendering import Page, PageDep

public_router = APIRouter()

VIDEO = "/videos/{market}/{video_id}"
PING_INTERVAL_MS = 5_000


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def _back_to(video: Video, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/videos/{video.market_code}/{video.id}{anchor}", status_code=303)


def _shown(shown: Engagement, **extra: Any) -> dict[str, Any]:
    """The template context of the video's buttons and comments."""
    context = {"video": shown.video, "liked": shown.liked, "comments": shown.comments}
    return {**context, "error": None, "typed": "", **extra}


@public_router.get(VIDEO, response_class=HTMLResponse, response_model=None)
async def video_page(
    video_id: Id,
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
    shown = await engagement.video_page(session, cell, video_id, market=market, viewer=viewer)
    return page.render(
        "content/video.html",
        products=shown.products,
        ping_interval_ms=PING_INTERVAL_MS,
        creator=shown.creator,
        **_shown(shown.engagement),
    )


async def _actions(
    request: Request, page: Page, cell: AsyncSession, video: Video, viewer: int | None
) -> Response:
    if not _is_htmx(request):
        return _back_to(video)
    shown = await engagement.engagement_of(cell, video, viewer=viewer)
    return page.render("content/_actions.html", **_shown(shown))


@public_router.post(
    VIDEO + "/share", dependencies=[CsrfChecked, throttled("share")], response_model=None
)
async def share(
    video_id: Id,
    request: Request,
    market: VideoMarket,
    page: PageDep,
    cell: VideoCellWrite,
    viewer: ViewerId,
) -> Response:
    video = await engagement.signal(cell, video_id, market=market, name="share", shopper_id=viewer)
    return await _actions(request, page, cell, video, viewer)


@public_router.post(VIDEO + "/comments", dependencies=[CsrfChecked], response_model=None)
async def post_comment(
    video_id: Id,
    request: Request,
    market: VideoMarket,
    page: PageDep,
    session: GlobalRead,
    cell: VideoCellWrite,
    user: CurrentShopper,
    body: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        video, _ = await engagement.post_comment(
            session,
            cell,
            video_id,
            market=market,
            shopper_id=user.user_id,
            author_name=user.display_name,
            body=body,
        )
    except InvalidInput as exc:
        if not _is_htmx(request):
            raise
        shown = await engagement.ready_engagement(
            cell, video_id, market=market, viewer=user.user_id
        )
        context = _shown(shown, error=exc.message, typed=body)
        return page.render("content/_comments.html", status_code=exc.status_code, **context)
    if not _is_htmx(request):
        return _back_to(video, "#comments")
    shown = await engagement.engagement_of(cell, video, viewer=user.user_id)
    return page.render("content/_comments.html", **_shown(shown))


# The player's beacons (navigator.sendBeacon): nobody reads the answer.


@public_router.post(VIDEO + "/view", dependencies=[CsrfChecked, throttled("view")], status_code=204)
async def view(video_id: Id, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId) -> None:
    await engagement.signal(cell, video_id, market=market, name="view", shopper_id=viewer)


@public_router.post(
    VIDEO + "/watch", dependencies=[CsrfChecked, throttled("watch")], status_code=204
)
async def watch(
    video_id: Id,
    market: VideoMarket,
    cell: VideoCellWrite,
    viewer: ViewerId,
    watch_ms: Annotated[int, Form(ge=0, le=3_600_000)],
) -> None:
    await engagement.watch_ready(
        cell, video_id, market=market, shopper_id=viewer, watch_ms=watch_ms
    )


# after every other POST under VIDEO: routes match in order
@public_router.post(VIDEO + "/{choice}", dependencies=[CsrfChecked], response_model=None)
async def like(
    video_id: Id,
    choice: Literal["like", "unlike"],
    request: Request,
    market: VideoMarket,
    page: PageDep,
    cell: VideoCellWrite,
    user: CurrentShopper,
) -> Response:
    """Like or unlike the video."""
    video = await engagement.signal(
        cell, video_id, market=market, name=choice, shopper_id=user.user_id
    )
    return await _actions(request, page, cell, video, user.user_id)
