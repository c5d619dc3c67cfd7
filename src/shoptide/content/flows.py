"""Short videos' use cases that own their units of work: an upload (the file, the global
cell, then the market's cell), a shop's or a creator's videos in every cell, and Seller
Center's work on one video in its market's cell. Routes pass `databases` to one of these;
everything else in content takes the session of the database it touches."""

import asyncio
import shutil
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog.models import Product
from shoptide.content import engagement, media, service
from shoptide.content.models import Video, VideoComment
from shoptide.content.schemas import VideoCreate
from shoptide.db import Databases
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

VIDEO_DIR = "videos"
UPLOAD_SUFFIXES = (".mp4", ".mov")


# --- upload (Seller Center, Creator Center) ------------------------------------------------


def _save(source: BinaryIO, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, length=1024 * 1024)


def _upload_suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return suffix if suffix in UPLOAD_SUFFIXES else ".mp4"


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
        tags = await service.taggable(
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
            video = await service.create(
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


# --- a shop's or a creator's videos ----------------------------------------------------


async def _in_every_cell(
    databases: Databases, read: Callable[[AsyncSession], Awaitable[Sequence[Video]]]
) -> list[Video]:
    """Videos in every market, newest first (one query per database)."""
    videos: list[Video] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            videos += await read(session)
    return sorted(videos, key=lambda video: video.created_at, reverse=True)


async def list_for_shop(databases: Databases, *, shop_id: int) -> list[Video]:
    """The shop's videos in every market, newest first."""
    return await _in_every_cell(
        databases, lambda session: service.list_for_shop(session, shop_id=shop_id)
    )


async def list_for_host(databases: Databases, *, host_user_id: int) -> list[Video]:
    """The videos a creator hosts (no shop's) in every market, newest first."""
    return await _in_every_cell(
        databases, lambda session: service.list_for_host(session, host_user_id=host_user_id)
    )


# --- Seller Center's work on one video --------------------------------------------------------


async def remove_for_shop(
    databases: Databases, video_id: int, *, shop_id: int, market: str
) -> Video:
    """Take the video down for good: status removed, then its files deleted."""
    async with databases.session(databases.settings.cell_of_market(market)) as session:
        video = await service.get_for_shop(session, video_id, shop_id=shop_id, market=market)
        video.status = "removed"
    await service.delete_files(databases.settings.media_dir, [video])
    return video


async def shop_video(databases: Databases, *, shop_id: int, market: str, video_id: int) -> Video:
    """One of the shop's videos, read in its market's cell."""
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        return await service.get_for_shop(s, video_id, shop_id=shop_id, market=market)


@dataclass(frozen=True)
class ShopVideo:
    """One of the shop's videos as its Seller Center page shows it."""

    video: Video
    comments: Sequence[VideoComment]
    products: list[Product]  # tagged, whatever their status now


async def shop_video_page(
    databases: Databases, *, shop_id: int, market: str, video_id: int
) -> ShopVideo:
    """The video and its comments (the market's cell), its tagged products (global)."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()  # the global connection first, then the cell's
        cell = databases.settings.cell_of_market(market)
        async with databases.session(cell, write=False) as session:
            video = await service.get_for_shop(session, video_id, shop_id=shop_id, market=market)
            comments = await engagement.list_comments(session, video)
        return ShopVideo(video, comments, await service.tagged_titles(global_, video))


async def remove_comment_for_shop(
    databases: Databases, *, shop_id: int, market: str, video_id: int, comment_id: int
) -> Video:
    """The host hides a comment on one of the shop's videos."""
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        video = await service.get_for_shop(cell, video_id, shop_id=shop_id, market=market)
        await service.remove_comment(cell, comment_id, video_id=video.id)
    return video
