"""Short videos: tags and the video's row, a shop's videos, transcoding state, the public
page's data, and comment moderation (the shoppers' signals are content.engagement).

Videos, their likes, comments and engagement events live in the market's cell; products
and blocked words in the global cell. Functions take the session of the database they
touch and never commit; what spans the filesystem or several databases (an upload, the
shop's videos in every cell) is content.flows.
"""

import asyncio
import re
import shutil
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide import events
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Listing, Product
from shoptide.content import media
from shoptide.content.models import (
    MAX_TAGGED_PRODUCTS,
    BlockedWord,
    Video,
    VideoComment,
    VideoProduct,
)
from shoptide.db import utcnow
from shoptide.errors import InvalidInput, NotFound
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market

MAX_COMMENT_CHARS = 500


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


class Chosen(Protocol):
    """An uploaded file as a form or request brings it (starlette's UploadFile)."""

    size: int | None


def ensure_chosen(upload: Chosen) -> None:
    """A form that names no file, or an empty one, chose no video."""
    if not upload.size:
        raise InvalidInput("Choose a video to upload.")


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


async def taggable(
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


# --- a shop's videos (Seller Center) ------------------------------------------------------


def _with_products() -> Select[Video]:
    return select(Video).options(selectinload(Video.products))


async def _hosted_where(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[Video]:
    return list(
        await session.scalars(_with_products().where(*conditions, Video.status != "removed"))
    )


async def list_for_shop(session: AsyncSession, *, shop_id: int) -> list[Video]:
    """The shop's videos in the session's database (content.flows reads every cell)."""
    return await _hosted_where(session, Video.shop_id == shop_id)


async def list_for_host(session: AsyncSession, *, host_user_id: int) -> list[Video]:
    """The videos a creator hosts (no shop's) in the session's database."""
    return await _hosted_where(session, Video.host_user_id == host_user_id, Video.shop_id.is_(None))


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


@dataclass(frozen=True)
class ShownVideo:
    """A ready video with its tagged products on sale in its market (the API's video)."""

    video: Video
    products: list[TaggedProduct]
    locale: str  # the market's, for prices


async def shown_video(
    global_: AsyncSession, cell: AsyncSession, video_id: int, *, market: str
) -> ShownVideo:
    video = await get_ready(cell, video_id, market=market)
    locale = (await markets_service.get(global_, market)).locale
    return ShownVideo(video, await tagged_products(global_, video, market=market), locale)


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
