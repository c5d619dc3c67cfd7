"""Shoppers' signals about a video: views, watch time, likes, comments and shares. Each
moves the video's counters and also becomes an EngagementEvent, which the feed learns from.

Functions take the session of the video's cell and never commit."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.content import service
from shoptide.content.models import EngagementEvent, Video, VideoComment, VideoLike
from shoptide.content.service import TaggedProduct
from shoptide.creators import service as creators_service
from shoptide.creators.models import Creator

# The player pings every 5 s while playing; one ping never credits more than this.
MAX_WATCH_PING_MS = 10_000
COMMENTS_SHOWN = 50


# --- every signal also becomes an EngagementEvent for the feed ----------------------------


async def _engage(
    session: AsyncSession,
    video: Video,
    kind: str,
    *,
    shopper_id: int | None,
    watch_ms: int = 0,
    **counters: int,
) -> None:
    """Record one signal and move the video's counters in one UPDATE (no read-then-write)."""
    if counters:
        await session.execute(
            update(Video)
            .where(Video.id == video.id)
            .values({name: getattr(Video, name) + step for name, step in counters.items()})
        )
    session.add(
        EngagementEvent(
            kind=kind,
            subject_kind="video",
            subject_id=video.id,
            market_code=video.market_code,
            shopper_id=shopper_id,
            watch_ms=watch_ms,
        )
    )
    await session.flush()
    if counters:
        await session.refresh(video, list(counters))


async def liked_among(
    session: AsyncSession, *, shopper_id: int, video_ids: Sequence[int]
) -> set[int]:
    """Which of these videos the shopper likes, in one query."""
    if not video_ids:
        return set()
    found = await session.scalars(
        select(VideoLike.video_id).where(
            VideoLike.video_id.in_(list(video_ids)), VideoLike.shopper_id == shopper_id
        )
    )
    return set(found)


async def has_liked(session: AsyncSession, video: Video, *, shopper_id: int) -> bool:
    return bool(await liked_among(session, shopper_id=shopper_id, video_ids=[video.id]))


async def like(session: AsyncSession, video: Video, *, shopper_id: int) -> bool:
    """Like once: a second like changes nothing (the unique constraint decides races)."""
    try:
        async with session.begin_nested():
            session.add(VideoLike(video_id=video.id, shopper_id=shopper_id))
    except IntegrityError:
        return False
    await _engage(session, video, "like", shopper_id=shopper_id, like_count=1)
    return True


async def unlike(session: AsyncSession, video: Video, *, shopper_id: int) -> bool:
    removed = await session.execute(
        delete(VideoLike).where(VideoLike.video_id == video.id, VideoLike.shopper_id == shopper_id)
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    await _engage(session, video, "unlike", shopper_id=shopper_id, like_count=-1)
    return True


async def comment(
    session: AsyncSession, video: Video, *, shopper_id: int, author_name: str, body: str
) -> VideoComment:
    """Post a comment that check_comment returned (the caller checks it on the global
    session first: one global connection, taken before the cell's)."""
    posted = VideoComment(
        video_id=video.id, shopper_id=shopper_id, author_name=author_name, body=body
    )
    session.add(posted)
    await _engage(session, video, "comment", shopper_id=shopper_id, comment_count=1)
    return posted


async def list_comments(session: AsyncSession, video: Video) -> Sequence[VideoComment]:
    return (
        await session.scalars(
            select(VideoComment)
            .where(VideoComment.video_id == video.id, VideoComment.status == "visible")
            .order_by(VideoComment.created_at.desc(), VideoComment.id.desc())
            .limit(COMMENTS_SHOWN)
        )
    ).all()


async def share(session: AsyncSession, video: Video, *, shopper_id: int | None) -> None:
    await _engage(session, video, "share", shopper_id=shopper_id, share_count=1)


async def view(session: AsyncSession, video: Video, *, shopper_id: int | None) -> None:
    await _engage(session, video, "view", shopper_id=shopper_id, view_count=1)


async def watch(
    session: AsyncSession, video: Video, *, shopper_id: int | None, watch_ms: int
) -> int:
    """Credit playing time; returns what was credited (capped per ping and by the length)."""
    credited = max(0, min(watch_ms, MAX_WATCH_PING_MS, video.duration_ms or MAX_WATCH_PING_MS))
    if credited:
        await _engage(
            session,
            video,
            "watch",
            shopper_id=shopper_id,
            watch_ms=credited,
            watch_ms_total=credited,
        )
    return credited


# --- what the video's page shows one viewer -------------------------------------------------


@dataclass(frozen=True)
class Engagement:
    """The video with what its buttons and comments show one viewer."""

    video: Video
    liked: bool
    comments: Sequence[VideoComment]


@dataclass(frozen=True)
class VideoPage:
    engagement: Engagement
    products: list[TaggedProduct]  # on sale in the video's market
    creator: Creator | None  # the creator hosting it; a shop's video has none


async def engagement_of(cell: AsyncSession, video: Video, *, viewer: int | None) -> Engagement:
    liked = viewer is not None and await has_liked(cell, video, shopper_id=viewer)
    return Engagement(video, liked, await list_comments(cell, video))


async def ready_engagement(
    cell: AsyncSession, video_id: int, *, market: str, viewer: int | None
) -> Engagement:
    """A ready video of the market as `viewer` sees it (NotFound when it isn't ready)."""
    video = await service.get_ready(cell, video_id, market=market)
    return await engagement_of(cell, video, viewer=viewer)


async def _creator_host(global_: AsyncSession, video: Video) -> Creator | None:
    if video.shop_id is not None:
        return None
    return (await creators_service.of_hosts(global_, [video.host_user_id])).get(video.host_user_id)


async def video_page(
    global_: AsyncSession, cell: AsyncSession, video_id: int, *, market: str, viewer: int | None
) -> VideoPage:
    """Everything the shopper's video page shows: the ready video, its tagged products
    priced in the market, its creator, and the viewer's like and the comments."""
    video = await service.get_ready(cell, video_id, market=market)
    return VideoPage(
        engagement=await engagement_of(cell, video, viewer=viewer),
        products=await service.tagged_products(global_, video, market=market),
        creator=await _creator_host(global_, video),
    )


# --- a signal about a video named by its id ---------------------------------------------------

SignalName = Literal["view", "share", "like", "unlike"]


SIGNALS: dict[str, Callable[..., Awaitable[object]]] = {
    "view": view,
    "share": share,
    "like": like,  # a signed-in shopper's: the routes that like take one
    "unlike": unlike,
}


async def signal(
    cell: AsyncSession, video_id: int, *, market: str, name: SignalName, shopper_id: int | None
) -> Video:
    """The viewer's view, share, like or unlike of a ready video; returns the video with
    its counters as they are now."""
    video = await service.get_ready(cell, video_id, market=market)
    await SIGNALS[name](cell, video, shopper_id=shopper_id)
    return video


async def watch_ready(
    cell: AsyncSession, video_id: int, *, market: str, shopper_id: int | None, watch_ms: int
) -> int:
    """Credit a ping of playing time to a ready video; returns what was credited."""
    video = await service.get_ready(cell, video_id, market=market)
    return await watch(cell, video, shopper_id=shopper_id, watch_ms=watch_ms)


async def post_comment(
    global_: AsyncSession,
    cell: AsyncSession,
    video_id: int,
    *,
    market: str,
    shopper_id: int,
    author_name: str,
    body: str,
) -> tuple[Video, VideoComment]:
    """Check the comment against the market's blocked words, then post it on the ready
    video (the global session is read first: one global connection, before the cell's)."""
    text = await service.check_comment(global_, market, body)
    video = await service.get_ready(cell, video_id, market=market)
    posted = await comment(cell, video, shopper_id=shopper_id, author_name=author_name, body=text)
    return video, posted
