"""Short videos in the JSON API: Seller Center uploads and the shopper-facing video."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog.schemas import money_read
from shoptide.content import engagement, flows, service
from shoptide.content.deps import VideoCellRead, VideoCellWrite, VideoMarket, ViewerId, throttled
from shoptide.content.engagement import SignalName
from shoptide.content.models import MAX_TAGGED_PRODUCTS
from shoptide.content.schemas import (
    CommentIn,
    CommentRead,
    CountsRead,
    LikeRead,
    PublicVideoRead,
    TaggedProductRead,
    VideoCreate,
    VideoRead,
    WatchIn,
    comment_read,
    counts_read,
    video_read,
)
from shoptide.deps import (
    OPTIONAL_BEARER,
    CurrentSeat,
    CurrentShopper,
    DatabasesDep,
    GlobalRead,
)
from shoptide.ids import BigId, Id
from shoptide.markets.schemas import MarketCode
from shoptide.media import media_url
from shoptide.web.openapi import errors

# The upload routes (this API's and Seller Center's form) take bodies up to
# Settings.max_video_bytes; app.BodySizeLimit holds every other route to max_body_bytes.
UPLOAD_PATHS = ("/api/v1/seller/videos", "/seller/videos", "/creator/videos")

public_router = APIRouter(tags=["videos"])
router = APIRouter(tags=["videos"])  # signed in: shoppers' likes and comments, Seller Center
seller_router = APIRouter(prefix="/seller", tags=["seller: videos"])

VIDEO = "/videos/{market}/{video_id}"


# --- Seller Center ---------------------------------------------------------------------------


@seller_router.post(
    "/videos",
    response_model=VideoRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        422: {
            "description": "Not valid: a field (see `details`), or the file is empty or "
            "is not a video we can read"
        }
    },
)
async def upload_video(
    seat: CurrentSeat,
    databases: DatabasesDep,
    file: Annotated[UploadFile, File(description="An MP4 or MOV video")],
    market: Annotated[MarketCode, Form(examples=["ID"])],
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[
        list[Id] | None,
        Form(description=f"Up to {MAX_TAGGED_PRODUCTS} of the shop's published products"),
    ] = None,
) -> VideoRead:
    """Upload a video for one market; it is `processing` until its renditions are made
    (poll GET /seller/videos/{market}/{id} for `progress`)."""
    service.ensure_chosen(file)
    data = VideoCreate(market=market, caption=caption, product_ids=product_ids or [])
    video = await flows.upload(
        databases,
        shop_id=seat.shop.id,
        host_user_id=seat.user.user_id,
        data=data,
        file=file.file,
        filename=file.filename or "",
    )
    return video_read(video)


@seller_router.get("/videos", response_model=list[VideoRead])
async def list_my_videos(seat: CurrentSeat, databases: DatabasesDep) -> list[VideoRead]:
    return [video_read(v) for v in await flows.list_for_shop(databases, shop_id=seat.shop.id)]


@seller_router.get(VIDEO, response_model=VideoRead)
async def get_my_video(
    market: MarketCode, video_id: Id, seat: CurrentSeat, databases: DatabasesDep
) -> VideoRead:
    video = await flows.shop_video(
        databases, shop_id=seat.shop.id, market=market, video_id=video_id
    )
    return video_read(video)


@seller_router.delete(VIDEO, status_code=status.HTTP_204_NO_CONTENT)
async def remove_my_video(
    market: MarketCode, video_id: Id, seat: CurrentSeat, databases: DatabasesDep
) -> Response:
    await flows.remove_for_shop(databases, video_id, shop_id=seat.shop.id, market=market)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@seller_router.delete(VIDEO + "/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_comment_on_my_video(
    market: MarketCode, video_id: Id, comment_id: BigId, seat: CurrentSeat, databases: DatabasesDep
) -> Response:
    """The host hides a comment on one of the shop's videos."""
    await flows.remove_comment_for_shop(
        databases, shop_id=seat.shop.id, market=market, video_id=video_id, comment_id=comment_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- shoppers --------------------------------------------------------------------------------


@public_router.get(VIDEO, response_model=PublicVideoRead, openapi_extra=OPTIONAL_BEARER)
async def get_video(
    video_id: Id,
    market: VideoMarket,
    cell: VideoCellRead,
    session: GlobalRead,
) -> PublicVideoRead:
    """A ready video with its tagged products priced in its market."""
    shown = await service.shown_video(session, cell, video_id, market=market)
    return PublicVideoRead(
        **video_read(shown.video).model_dump(),
        products=[
            TaggedProductRead(
                id=item.product.id,
                title=item.product.title,
                image_url=media_url(item.product.images[0].filename)
                if item.product.images
                else None,
                price_from=money_read(
                    item.price_from.price_minor, item.price_from.currency, shown.locale
                ),
            )
            for item in shown.products
        ],
    )


@public_router.get(VIDEO + "/comments", response_model=list[CommentRead])
async def list_comments(
    video_id: Id, market: VideoMarket, cell: VideoCellRead
) -> list[CommentRead]:
    shown = await engagement.ready_engagement(cell, video_id, market=market, viewer=None)
    return [comment_read(c) for c in shown.comments]


# the player's counting signals answer with the video's counters as they are now, and 429
# past their limits (content.deps.ENGAGEMENT_LIMITS)
COUNTED: dict[str, Any] = {
    "response_model": CountsRead,
    "openapi_extra": OPTIONAL_BEARER,
    "responses": errors(429),
}


async def _counted(
    cell: AsyncSession, video_id: Id, market: str, name: SignalName, viewer: int | None
) -> CountsRead:
    video = await engagement.signal(cell, video_id, market=market, name=name, shopper_id=viewer)
    return counts_read(video)


@public_router.post(VIDEO + "/views", dependencies=[throttled("view")], **COUNTED)
async def record_view(
    video_id: Id, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> CountsRead:
    """The player started playing (once per opening of the video)."""
    return await _counted(cell, video_id, market, "view", viewer)


@public_router.post(
    VIDEO + "/watch",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=OPTIONAL_BEARER,
    dependencies=[throttled("watch")],
    responses=errors(429),
)
async def record_watch(
    video_id: Id, body: WatchIn, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> Response:
    """Playing time since the last ping: the player pings every 5 s, and one ping counts
    for at most 10 s (and never more than the video lasts)."""
    await engagement.watch_ready(
        cell, video_id, market=market, shopper_id=viewer, watch_ms=body.watch_ms
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(VIDEO + "/like", response_model=LikeRead)
async def like(
    video_id: Id, market: VideoMarket, cell: VideoCellWrite, user: CurrentShopper
) -> LikeRead:
    video = await engagement.signal(
        cell, video_id, market=market, name="like", shopper_id=user.user_id
    )
    return LikeRead(liked=True, like_count=video.like_count)


@router.delete(VIDEO + "/like", response_model=LikeRead)
async def unlike(
    video_id: Id, market: VideoMarket, cell: VideoCellWrite, user: CurrentShopper
) -> LikeRead:
    video = await engagement.signal(
        cell, video_id, market=market, name="unlike", shopper_id=user.user_id
    )
    return LikeRead(liked=False, like_count=video.like_count)


@router.post(VIDEO + "/comments", response_model=CommentRead, status_code=201)
async def post_comment(
    video_id: Id,
    body: CommentIn,
    market: VideoMarket,
    session: GlobalRead,
    cell: VideoCellWrite,
    user: CurrentShopper,
) -> CommentRead:
    """Refused with a sentence when it uses a word the market's operators blocked."""
    _, posted = await engagement.post_comment(
        session,
        cell,
        video_id,
        market=market,
        shopper_id=user.user_id,
        author_name=user.display_name,
        body=body.body,
    )
    return comment_read(posted)


@public_router.post(VIDEO + "/shares", dependencies=[throttled("share")], **COUNTED)
async def record_share(
    video_id: Id, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> CountsRead:
    return await _counted(cell, video_id, market, "share", viewer)


router.include_router(seller_router)
