"""Short videos: upload and tags, the public page's data, engagement and moderation.

Videos, their likes, comments and engagement events live in the market's cell; products
and blocked words in the global cell. Functions take the session of the database they
touch; the few that span the filesystem and two databases take `Databases` and open their
own units of work (global first, then the cell), like the catalog's orchestration does.
"""

import asyncio
import re
import shutil
import unicodedata
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide import events
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Listing, Product
from shoptide.content import media
from shoptide.content.models import (
    MAX_TAGGED_PRODUCTS,
    BlockedWord,
    EngagementEvent,
    Video,
    VideoComment,
    VideoLike,
    VideoProduct,
)
from shoptide.content.schemas import VideoCreate
from shoptide.db import Databases, utcnow
from shoptide.errors import InvalidInput, NotFound
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL

VIDEO_DIR = "videos"
UPLOAD_SUFFIXES = (".mp4", ".mov")
MAX_COMMENT_CHARS = 500
# The player pings every 5 s while playing; one ping never credits more than this.
MAX_WATCH_PING_MS = 10_000
COMMENTS_SHOWN = 50


# --- blocked words (live room chat reuses check_comment: keep its signature) --------------

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, CJK, Hangul):
# a blocked word in them is found anywhere; elsewhere only as a whole word.
_UNSPACED_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)


def normal_word(text: str) -> str:
    """How blocked words are stored and compared: NFKC, case folded, trimmed."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _mentions(text: str, word: str) -> bool:
    if _UNSPACED_SCRIPT.search(word):
        return word in text
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


async def check_comment(global_session: AsyncSession, market: str, text: str) -> str:
    """The comment as it will be posted (trimmed), or InvalidInput saying why it can't be:
    empty, too long, or using a word the market's operators blocked."""
    body = text.strip()
    if not body:
        raise InvalidInput("Write a comment first.")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"Comments can be at most {MAX_COMMENT_CHARS} characters.")
    said = normal_word(body)
    words = await global_session.scalars(
        select(BlockedWord.word).where(BlockedWord.market_code == market.upper())
    )
    for word in words:
        if normal_word(word) and _mentions(said, normal_word(word)):
            raise InvalidInput(
                f"Your comment uses “{word}”, which isn't allowed here. Rephrase it."
            )
    return body


# --- upload (Seller Center, Creator Center) ------------------------------------------------


async def _tag_candidate(
    session: AsyncSession,
    product_id: int,
    *,
    shop_id: int | None,
    market: Market,
    allowed: Collection[int],
) -> Product:
    """A merchant tags their shop's products; a creator (no shop) the products their
    caller allows (the creator's showcase)."""
    try:
        if shop_id is not None:
            return await catalog_service.get_for_shop(session, product_id, shop_id=shop_id)
        if product_id not in allowed:
            raise InvalidInput(
                f"Product {product_id} is not on your showcase: add it there to tag it."
            )
        product, _ = await catalog_service.get_for_market(session, product_id, market=market.code)
    except NotFound as exc:  # a form naming someone else's product is a mistake in the form
        raise InvalidInput(exc.message) from None
    return product


async def _taggable(
    session: AsyncSession,
    *,
    shop_id: int | None,
    market: Market,
    product_ids: Sequence[int],
    allowed: Collection[int] = (),
) -> list[int]:
    """Published products with a price in the market that the host may tag, in the order
    chosen."""
    chosen = list(dict.fromkeys(product_ids))
    if len(chosen) > MAX_TAGGED_PRODUCTS:
        raise InvalidInput(
            f"Tag at most {MAX_TAGGED_PRODUCTS} products in a video; you chose {len(chosen)}."
        )
    for product_id in chosen:
        product = await _tag_candidate(
            session, product_id, shop_id=shop_id, market=market, allowed=allowed
        )
        if product.status != "published":
            raise InvalidInput(f"“{product.title}” is a draft: publish it before tagging it.")
        if not await catalog_service.listings_of_product(session, product_id, market=market.code):
            raise InvalidInput(
                f"“{product.title}” has no price in {market.name}: give it one before tagging it."
            )
    return chosen


def _save(source: BinaryIO, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, length=1024 * 1024)


def _upload_suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return suffix if suffix in UPLOAD_SUFFIXES else ".mp4"


async def create(
    session: AsyncSession,
    *,
    market: str,
    shop_id: int | None,
    host_user_id: int,
    caption: str,
    product_ids: Sequence[int],
    upload_path: str,
    facts: media.Probe,
) -> Video:
    """The video row, processing, and the event that starts its transcode."""
    video = Video(
        market_code=market,
        shop_id=shop_id,
        host_user_id=host_user_id,
        caption=caption.strip(),
        status="processing",
        upload_path=upload_path,
        width=facts.width,
        height=facts.height,
        duration_ms=facts.duration_ms,
        products=[
            VideoProduct(product_id=product_id, position=position)
            for position, product_id in enumerate(product_ids)
        ],
    )
    session.add(video)
    await session.flush()
    events.record(session, events.VideoUploaded(video_id=video.id, market=market))
    return video


async def upload(
    databases: Databases,
    *,
    shop_id: int | None,
    host_user_id: int,
    data: VideoCreate,
    file: BinaryIO,
    filename: str,
    allowed_products: Collection[int] = (),
) -> Video:
    """Check the form, keep the file if ffprobe reads it as a video, and create the video.
    Any refusal leaves nothing behind: no row, no file.

    A shop's video (shop_id) tags the shop's products; a creator's (shop_id None) only
    `allowed_products`, which the caller names (the creator's showcase)."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        market = await markets_service.get(session, data.market)
        tags = await _taggable(
            session,
            shop_id=shop_id,
            market=market,
            product_ids=data.product_ids,
            allowed=allowed_products,
        )
    folder = Path(VIDEO_DIR) / uuid.uuid4().hex  # unguessable: /media is public
    upload_path = folder / f"upload{_upload_suffix(filename)}"
    media_dir = databases.settings.media_dir
    try:
        await asyncio.to_thread(_save, file, media_dir / upload_path)
        facts = await media.probe(media_dir / upload_path)
        cell = databases.settings.cell_of_market(market.code)
        async with databases.session(cell) as session:
            video = await create(
                session,
                market=market.code,
                shop_id=shop_id,
                host_user_id=host_user_id,
                caption=data.caption,
                product_ids=tags,
                upload_path=str(upload_path),
                facts=facts,
            )
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, media_dir / folder, True)
        raise
    return video


# --- a shop's videos (Seller Center) ------------------------------------------------------


def _with_products() -> Select[Video]:
    return select(Video).options(selectinload(Video.products))


async def _list_where(databases: Databases, *conditions: ColumnElement[bool]) -> list[Video]:
    """Videos in every market, newest first (one query per cell)."""
    videos: list[Video] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            videos += await session.scalars(
                _with_products().where(*conditions, Video.status != "removed")
            )
    return sorted(videos, key=lambda video: video.created_at, reverse=True)


async def list_for_shop(databases: Databases, *, shop_id: int) -> list[Video]:
    """The shop's videos in every market, newest first."""
    return await _list_where(databases, Video.shop_id == shop_id)


async def list_for_host(databases: Databases, *, host_user_id: int) -> list[Video]:
    """The videos a creator hosts (no shop's), newest first."""
    return await _list_where(databases, Video.host_user_id == host_user_id, Video.shop_id.is_(None))


async def get_for_shop(session: AsyncSession, video_id: int, *, shop_id: int, market: str) -> Video:
    """The shop's own video; another shop's is 'not found' to this shop."""
    video = await session.scalar(_with_products().where(Video.id == video_id))
    if (
        video is None
        or video.shop_id != shop_id
        or video.market_code != market.upper()
        or video.status == "removed"
    ):
        raise NotFound(f"Video {video_id} is not one of your shop's videos.")
    return video


async def remove_for_shop(
    databases: Databases, video_id: int, *, shop_id: int, market: str
) -> Video:
    """Take the video down for good: status removed, then its files deleted."""
    async with databases.session(databases.settings.cell_of_market(market)) as session:
        video = await get_for_shop(session, video_id, shop_id=shop_id, market=market)
        video.status = "removed"
    await delete_files(databases.settings.media_dir, [video])
    return video


async def take_down(session: AsyncSession, video_ids: Sequence[int]) -> list[Video]:
    """An operator takes videos of any shop down; delete their files once this commits."""
    videos = list(await session.scalars(select(Video).where(Video.id.in_(video_ids))))
    for video in videos:
        video.status = "removed"
    return videos


async def delete_files(media_dir: Path, videos: Sequence[Video]) -> None:
    """A removed video's folder: the upload, its renditions and its poster."""
    for video in videos:
        if video.upload_path:
            await asyncio.to_thread(shutil.rmtree, media_dir / Path(video.upload_path).parent, True)


async def tagged_titles(session: AsyncSession, video: Video) -> list[Product]:
    """The tagged products as the merchant sees them (any status), in tag order."""
    ids = [tag.product_id for tag in video.products]
    found = {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# --- transcoding state (content.jobs drives it) -------------------------------------------


async def set_progress(session: AsyncSession, video_id: int, percent: int) -> None:
    await session.execute(
        update(Video)
        .where(Video.id == video_id, Video.status == "processing")
        .values(progress=percent)
    )


async def publish(
    session: AsyncSession,
    video_id: int,
    *,
    playlist_path: str,
    poster_path: str,
    size: media.Rendition,
) -> bool:
    """Processing → ready; False when the video is no longer processing (removed meanwhile)."""
    done = await session.execute(
        update(Video)
        .where(Video.id == video_id, Video.status == "processing")
        .values(
            status="ready",
            progress=100,
            error="",
            playlist_path=playlist_path,
            poster_path=poster_path,
            width=size.width,
            height=size.height,
            published_at=utcnow(),
        )
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    video = await session.get_one(Video, video_id)
    events.record(
        session,
        events.VideoPublished(
            video_id=video.id,
            market=video.market_code,
            host_user_id=video.host_user_id,
            shop_id=video.shop_id,
            product_ids=tuple(
                await session.scalars(
                    select(VideoProduct.product_id)
                    .where(VideoProduct.video_id == video.id)
                    .order_by(VideoProduct.position)
                )
            ),
        ),
    )
    return True


async def fail(session: AsyncSession, video_id: int, *, message: str) -> None:
    """Processing → failed, with a sentence the merchant reads on the video's page."""
    await session.execute(
        update(Video)
        .where(Video.id == video_id, Video.status == "processing")
        .values(status="failed", error=message[:300])
    )


async def processing_since(session: AsyncSession, *, before: datetime) -> Sequence[Video]:
    """Videos uploaded before `before` and still processing: candidates for a stalled job."""
    return (
        await session.scalars(
            select(Video).where(Video.status == "processing", Video.created_at < before)
        )
    ).all()


# --- the public page ------------------------------------------------------------------------


async def get_ready(session: AsyncSession, video_id: int, *, market: str) -> Video:
    """A playable video of the market, or NotFound."""
    video = await session.scalar(_with_products().where(Video.id == video_id))
    if video is None or video.status != "ready" or video.market_code != market.upper():
        raise NotFound("This video isn't available.")
    return video


async def ready_in_market(
    session: AsyncSession,
    *,
    market: str,
    video_ids: Sequence[int] | None = None,
    host_user_id: int | None = None,
) -> Sequence[Video]:
    """The market's playable videos (all, those of `video_ids`, or one host's) with their
    tags, newest first, in two queries whatever their number."""
    query = _with_products().where(Video.market_code == market.upper(), Video.status == "ready")
    if video_ids is not None:
        query = query.where(Video.id.in_(video_ids))
    if host_user_id is not None:
        query = query.where(Video.host_user_id == host_user_id)
    return (await session.scalars(query.order_by(Video.published_at.desc(), Video.id))).all()


async def lengths_in_market(session: AsyncSession, *, market: str) -> dict[int, int]:
    """Video id -> length in ms of the market's playable videos, in one query."""
    rows = await session.execute(
        select(Video.id, Video.duration_ms).where(
            Video.market_code == market.upper(), Video.status == "ready"
        )
    )
    return {video_id: length for video_id, length in rows}


@dataclass(frozen=True)
class TaggedProduct:
    """A tagged product a shopper can buy in the market: its variants with their prices."""

    product: Product
    options: list[tuple[str, str, Listing]]  # (sku, label, listing), cheapest first

    @property
    def price_from(self) -> Listing:
        return self.options[0][2]


async def tagged_products(
    session: AsyncSession, video: Video, *, market: str
) -> list[TaggedProduct]:
    """Tagged products still on sale in the market (at most MAX_TAGGED_PRODUCTS look-ups)."""
    shown = []
    for tag in video.products:
        try:
            product, listings = await catalog_service.get_for_market(
                session, tag.product_id, market=market
            )
        except NotFound:  # unpublished or no longer priced here since it was tagged
            continue
        options = [(v.sku, v.label, listings[v.id]) for v in product.variants if v.id in listings]
        options.sort(key=lambda option: option[2].price_minor)
        shown.append(TaggedProduct(product, options))
    return shown


async def video_source(
    session: AsyncSession, *, video_id: int, product_id: int
) -> tuple[int, int] | None:
    """(video id, host user id) when that ready video tags the product, else None: checkout
    calls it to trust a cart line's claimed source."""
    row = (
        await session.execute(
            select(Video.id, Video.host_user_id)
            .join(VideoProduct, VideoProduct.video_id == Video.id)
            .where(
                Video.id == video_id,
                Video.status == "ready",
                VideoProduct.product_id == product_id,
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


# --- engagement: every signal also becomes an EngagementEvent for the feed ----------------


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


async def remove_comment(
    session: AsyncSession, comment_id: int, *, video_id: int | None = None
) -> bool:
    """Hide a comment (an operator: any; a host: `video_id` limits it to their video).
    Returns False when there was no such visible comment."""
    query = (
        update(VideoComment)
        .where(VideoComment.id == comment_id, VideoComment.status == "visible")
        .values(status="removed")
        .returning(VideoComment.video_id)
    )
    if video_id is not None:
        query = query.where(VideoComment.video_id == video_id)
    hidden = await session.scalar(query)
    if hidden is None:
        return False
    await session.execute(
        update(Video).where(Video.id == hidden).values(comment_count=Video.comment_count - 1)
    )
    return True


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
