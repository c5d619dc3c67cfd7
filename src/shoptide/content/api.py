"""Short videos in the JSON API: Seller Center uploads and the shopper-facing video."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from shoptide.catalog.api import image_url
from shoptide.catalog.schemas import money_read
from shoptide.content import service
from shoptide.content.deps import VideoCellRead, VideoCellWrite, VideoMarket, ViewerId, throttled
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
from shoptide.errors import InvalidInput
from shoptide.markets import service as markets_service

# The upload routes (this API's and Seller Center's form) take bodies up to
# Settings.max_video_bytes; app.BodySizeLimit holds every other route to max_body_bytes.
UPLOAD_PATHS = ("/api/v1/seller/videos", "/seller/videos", "/creator/videos")

public_router = APIRouter(tags=["videos"])
router = APIRouter(tags=["videos"])  # signed in: shoppers' likes and comments, Seller Center
seller_router = APIRouter(prefix="/seller", tags=["seller: videos"])

VIDEO = "/videos/{market}/{video_id}"


def ensure_chosen(upload: UploadFile) -> None:
    if not upload.size:
        raise InvalidInput("Choose a video to upload.")


# --- Seller Center ---------------------------------------------------------------------------


@seller_router.post("/videos", response_model=VideoRead, status_code=status.HTTP_201_CREATED)
async def upload_video(
    seat: CurrentSeat,
    databases: DatabasesDep,
    file: Annotated[UploadFile, File(description="An MP4 or MOV video")],
    market: Annotated[str, Form(min_length=2, max_length=2, examples=["ID"])],
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[
        list[int] | None,
        Form(description=f"Up to {MAX_TAGGED_PRODUCTS} of the shop's published products"),
    ] = None,
) -> VideoRead:
    """Upload a video for one market; it is `processing` until its renditions are made
    (poll GET /seller/videos/{market}/{id} for `progress`)."""
    ensure_chosen(file)
    data = VideoCreate(market=market, caption=caption, product_ids=product_ids or [])
    video = await service.upload(
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
    return [video_read(v) for v in await service.list_for_shop(databases, shop_id=seat.shop.id)]


@seller_router.get(VIDEO, response_model=VideoRead)
async def get_my_video(
    market: str, video_id: int, seat: CurrentSeat, databases: DatabasesDep
) -> VideoRead:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        video = await service.get_for_shop(s, video_id, shop_id=seat.shop.id, market=market)
    return video_read(video)


@seller_router.delete(VIDEO, status_code=status.HTTP_204_NO_CONTENT)
async def remove_my_video(
    market: str, video_id: int, seat: CurrentSeat, databases: DatabasesDep
) -> Response:
    await service.remove_for_shop(databases, video_id, shop_id=seat.shop.id, market=market)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@seller_router.delete(VIDEO + "/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_comment_on_my_video(
    market: str, video_id: int, comment_id: int, seat: CurrentSeat, databases: DatabasesDep
) -> Response:
    """The host hides a comment on one of the shop's videos."""
    async with databases.session(databases.settings.cell_of_market(market)) as session:
        video = await service.get_for_shop(session, video_id, shop_id=seat.shop.id, market=market)
        await service.remove_comment(session, comment_id, video_id=video.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- shoppers --------------------------------------------------------------------------------


@public_router.get(VIDEO, response_model=PublicVideoRead, openapi_extra=OPTIONAL_BEARER)
async def get_video(
    video_id: int,
    market: VideoMarket,
    cell: VideoCellRead,
    session: GlobalRead,
) -> PublicVideoRead:
    """A ready video with its tagged products priced in its market."""
    video = await service.get_ready(cell, video_id, market=market)
    locale = (await markets_service.get(session, market)).locale
    products = await service.tagged_products(session, video, market=market)
    return PublicVideoRead(
        **video_read(video).model_dump(),
        products=[
            TaggedProductRead(
                id=item.product.id,
                title=item.product.title,
                image_url=image_url(item.product.images[0].filename)
                if item.product.images
                else None,
                price_from=money_read(
                    item.price_from.price_minor, item.price_from.currency, locale
                ),
            )
            for item in products
        ],
    )


@public_router.get(VIDEO + "/comments", response_model=list[CommentRead])
async def list_comments(
    video_id: int, market: VideoMarket, cell: VideoCellRead
) -> list[CommentRead]:
    video = await service.get_ready(cell, video_id, market=market)
    return [comment_read(c) for c in await service.list_comments(cell, video)]


@public_router.post(
    VIDEO + "/views",
    response_model=CountsRead,
    openapi_extra=OPTIONAL_BEARER,
    dependencies=[throttled("view")],
)
async def record_view(
    video_id: int, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> CountsRead:
    """The player started playing (once per opening of the video)."""
    video = await service.get_ready(cell, video_id, market=market)
    await service.view(cell, video, shopper_id=viewer)
    return counts_read(video)


@public_router.post(
    VIDEO + "/watch",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=OPTIONAL_BEARER,
    dependencies=[throttled("watch")],
)
async def record_watch(
    video_id: int, body: WatchIn, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> Response:
    """Playing time since the last ping: the player pings every 5 s, and one ping counts
    for at most 10 s (and never more than the video lasts)."""
    video = await service.get_ready(cell, video_id, market=market)
    await service.watch(cell, video, shopper_id=viewer, watch_ms=body.watch_ms)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(VIDEO + "/like", response_model=LikeRead)
async def like(
    video_id: int, market: VideoMarket, cell: VideoCellWrite, user: CurrentShopper
) -> LikeRead:
    video = await service.get_ready(cell, video_id, market=market)
    await service.like(cell, video, shopper_id=user.user_id)
    return LikeRead(liked=True, like_count=video.like_count)


@router.delete(VIDEO + "/like", response_model=LikeRead)
async def unlike(
    video_id: int, market: VideoMarket, cell: VideoCellWrite, user: CurrentShopper
) -> LikeRead:
    video = await service.get_ready(cell, video_id, market=market)
    await service.unlike(cell, video, shopper_id=user.user_id)
    return LikeRead(liked=False, like_count=video.like_count)


@router.post(VIDEO + "/comments", response_model=CommentRead, status_code=201)
async def post_comment(
    video_id: int,
    body: CommentIn,
    market: VideoMarket,
    session: GlobalRead,
    cell: VideoCellWrite,
    user: CurrentShopper,
) -> CommentRead:
    """Refused with a sentence when it uses a word the market's operators blocked."""
    text = await service.check_comment(session, market, body.body)
    video = await service.get_ready(cell, video_id, market=market)
    posted = await service.comment(
        cell, video, shopper_id=user.user_id, author_name=user.display_name, body=text
    )
    return comment_read(posted)


@public_router.post(
    VIDEO + "/shares",
    response_model=CountsRead,
    openapi_extra=OPTIONAL_BEARER,
    dependencies=[throttled("share")],
)
async def record_share(
    video_id: int, market: VideoMarket, cell: VideoCellWrite, viewer: ViewerId
) -> CountsRead:
    video = await service.get_ready(cell, video_id, market=market)
    await service.share(cell, video, shopper_id=viewer)
    return counts_read(video)


router.include_router(seller_router)
