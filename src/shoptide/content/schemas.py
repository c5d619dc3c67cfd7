from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead
from shoptide.content.models import Video, VideoComment
from shoptide.ids import Id
from shoptide.markets.schemas import MarketCode
from shoptide.media import media_url


class VideoCreate(BaseModel):
    """The form fields of an upload (the file travels beside them)."""

    market: MarketCode = Field(examples=["ID"])
    caption: str = Field(default="", max_length=2200)
    # the limit of 6 is checked by the service, which says so in a sentence
    product_ids: list[Id] = Field(default_factory=list, max_length=100)


class VideoRead(BaseModel):
    id: int
    market: str
    status: str = Field(description="processing | ready | failed | removed")
    progress: int = Field(description="Percent transcoded while processing")
    error: str
    caption: str
    product_ids: list[int]
    page_url: str
    playlist_url: str | None
    poster_url: str | None
    width: int
    height: int
    duration_ms: int
    view_count: int
    like_count: int
    comment_count: int
    share_count: int
    watch_ms_total: int
    created_at: datetime
    published_at: datetime | None


class TaggedProductRead(BaseModel):
    id: int
    title: str
    image_url: str | None
    price_from: MoneyRead


class PublicVideoRead(VideoRead):
    products: list[TaggedProductRead]


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=2000)


class CommentRead(BaseModel):
    id: int
    author_name: str
    body: str
    created_at: datetime


class LikeRead(BaseModel):
    liked: bool
    like_count: int


class WatchIn(BaseModel):
    watch_ms: int = Field(ge=0, le=3_600_000, description="Playing time since the last ping")


class CountsRead(BaseModel):
    view_count: int
    like_count: int
    comment_count: int
    share_count: int


def page_url(video: Video) -> str:
    return f"/videos/{video.market_code}/{video.id}"


def video_read(video: Video) -> VideoRead:
    ready = video.status == "ready"
    return VideoRead(
        id=video.id,
        market=video.market_code,
        status=video.status,
        progress=video.progress,
        error=video.error,
        caption=video.caption,
        product_ids=[tag.product_id for tag in video.products],
        page_url=page_url(video),
        playlist_url=media_url(video.playlist_path) if ready else None,
        poster_url=media_url(video.poster_path) if ready else None,
        width=video.width,
        height=video.height,
        duration_ms=video.duration_ms,
        view_count=video.view_count,
        like_count=video.like_count,
        comment_count=video.comment_count,
        share_count=video.share_count,
        watch_ms_total=video.watch_ms_total,
        created_at=video.created_at,
        published_at=video.published_at,
    )


def comment_read(comment: VideoComment) -> CommentRead:
    return CommentRead(
        id=comment.id,
        author_name=comment.author_name,
        body=comment.body,
        created_at=comment.created_at,
    )


def counts_read(video: Video) -> CountsRead:
    return CountsRead(
        view_count=video.view_count,
        like_count=video.like_count,
        comment_count=video.comment_count,
        share_count=video.share_count,
    )
