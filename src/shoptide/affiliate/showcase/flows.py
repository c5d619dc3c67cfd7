"""The showcase's steps that own their units of work: the creator's changes from Creator
Center (a global unit of work each: a domain error rolls it back before the page is shown
again), their showcase beside their videos in every market, and a video upload that tags
products of the showcase only."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.affiliate.showcase import service
from shoptide.affiliate.showcase.service import ShowcaseProduct
from shoptide.content import flows as content_flows
from shoptide.content.models import Video
from shoptide.content.schemas import VideoCreate
from shoptide.creators.models import Creator
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL


async def add(databases: Databases, *, creator: Creator, product_id: int) -> ShowcaseItem:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.add(global_, creator=creator, product_id=product_id)


async def remove(databases: Databases, *, creator_id: int, product_id: int) -> None:
    async with databases.session(GLOBAL_CELL) as global_:
        await service.remove(global_, creator_id=creator_id, product_id=product_id)


async def move(databases: Databases, *, creator_id: int, product_id: int, direction: str) -> None:
    async with databases.session(GLOBAL_CELL) as global_:
        await service.move(
            global_, creator_id=creator_id, product_id=product_id, direction=direction
        )


@dataclass(frozen=True)
class Studio:
    """Creator Center's home and videos page: the showcase in the creator's market and the
    videos they host in every market."""

    showcase: list[ShowcaseProduct]
    videos: list[Video]


async def _showcase(databases: Databases, creator: Creator) -> list[ShowcaseProduct]:
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        return await service.products(global_, creator_id=creator.id, market=creator.market_code)


async def studio(databases: Databases, *, creator: Creator) -> Studio:
    showcase = await _showcase(databases, creator)
    videos = await content_flows.list_for_host(databases, host_user_id=creator.user_id)
    return Studio(showcase, videos)


async def upload_video(
    databases: Databases,
    *,
    creator: Creator,
    caption: str,
    product_ids: Sequence[int],
    file: BinaryIO,
    filename: str,
) -> Video:
    """A video in the creator's market, tagging products of their showcase only."""
    showcase = await _showcase(databases, creator)
    return await content_flows.upload(
        databases,
        shop_id=None,
        host_user_id=creator.user_id,
        data=VideoCreate(
            market=creator.market_code, caption=caption, product_ids=list(product_ids)
        ),
        file=file,
        filename=filename,
        allowed_products={item.product_id for item in showcase},
    )
