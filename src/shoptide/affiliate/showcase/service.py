"""Creators' showcases (global cell): the products a creator recommends on their public tab
(/@handle), in their order, each priced in the viewer's market with the rate it pays the
creator now (the marketplace's offers query)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.marketplace import service as marketplace
from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.catalog.models import Product
from shoptide.content import service as content_service
from shoptide.content.models import Video
from shoptide.creators import service as creators
from shoptide.creators.models import Creator
from shoptide.db import rows_updated, utcnow
from shoptide.errors import InvalidInput, NotFound
from shoptide.money import Money


@dataclass(frozen=True)
class ShowcaseProduct:
    """A product of a creator's showcase, as a market sees it (the public tab shows these)."""

    product_id: int
    title: str
    image: str | None  # the first picture's filename under /media
    price: Money  # the lowest variant price in the market
    shop_id: int
    shop_name: str
    rate_bp: int | None  # what a sale pays the creator now; None once the plan has ended


async def products(
    global_: AsyncSession, *, creator_id: int, market: str, now: datetime | None = None
) -> list[ShowcaseProduct]:
    """The creator's showcase in their order, as shoppers of `market` see it: products not
    on sale there are left out. Three queries whatever its length."""
    product_ids = list(
        await global_.scalars(
            select(ShowcaseItem.product_id)
            .where(ShowcaseItem.creator_id == creator_id)
            .order_by(ShowcaseItem.position, ShowcaseItem.id)
        )
    )
    if not product_ids:
        return []
    offers = marketplace.offers_for(creator_id=creator_id, market=market, now=now or utcnow())
    rows = await global_.execute(offers.query.where(Product.id.in_(product_ids)))
    by_id: dict[int, Row[Any]] = {row.product_id: row for row in rows}
    images = await marketplace.first_images(global_, list(by_id))
    return [
        ShowcaseProduct(
            product_id=row.product_id,
            title=row.title,
            image=images.get(row.product_id),
            price=Money(row.price_minor, row.currency),
            shop_id=row.shop_id,
            shop_name=row.shop_name,
            rate_bp=row.rate_bp,
        )
        for row in (by_id.get(product_id) for product_id in product_ids)
        if row is not None
    ]


async def _showcase_item(
    global_: AsyncSession, *, creator_id: int, product_id: int
) -> ShowcaseItem | None:
    return await global_.scalar(
        select(ShowcaseItem).where(
            ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == product_id
        )
    )


async def add(
    global_: AsyncSession, *, creator: Creator, product_id: int, now: datetime | None = None
) -> ShowcaseItem:
    """Put a product on the creator's showcase, last. Only a product on sale in their market
    that pays them a commission; adding it again changes nothing."""
    offers = marketplace.offers_for(
        creator_id=creator.id, market=creator.market_code, now=now or utcnow()
    )
    offer = (await global_.execute(offers.query.where(Product.id == product_id))).first()
    if offer is None:
        raise InvalidInput(
            f"This product isn't on sale in your market ({creator.market_code}), "
            "so it can't go on your showcase."
        )
    if offer.rate_bp is None:
        raise InvalidInput("This product pays you no commission, so it can't go on your showcase.")
    existing = await _showcase_item(global_, creator_id=creator.id, product_id=product_id)
    if existing is not None:
        return existing
    last = await global_.scalar(
        select(func.max(ShowcaseItem.position)).where(ShowcaseItem.creator_id == creator.id)
    )
    item = ShowcaseItem(
        creator_id=creator.id, product_id=product_id, position=0 if last is None else last + 1
    )
    global_.add(item)
    try:
        async with global_.begin_nested():
            await global_.flush()
    except IntegrityError:  # the same product added from two tabs at once: one row
        found = await _showcase_item(global_, creator_id=creator.id, product_id=product_id)
        assert found is not None
        return found
    return item


async def remove(global_: AsyncSession, *, creator_id: int, product_id: int) -> None:
    removed = await rows_updated(
        global_,
        delete(ShowcaseItem).where(
            ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == product_id
        ),
    )
    if not removed:
        raise NotFound("This product isn't on your showcase.")


async def move(global_: AsyncSession, *, creator_id: int, product_id: int, direction: str) -> None:
    """Swap a product with its neighbour above ("up") or below ("down"); at an end it stays."""
    if direction not in ("up", "down"):
        raise InvalidInput("Move a product up or down.")
    items = list(
        await global_.scalars(
            select(ShowcaseItem)
            .where(ShowcaseItem.creator_id == creator_id)
            .order_by(ShowcaseItem.position, ShowcaseItem.id)
        )
    )
    index = next((i for i, item in enumerate(items) if item.product_id == product_id), None)
    if index is None:
        raise NotFound("This product isn't on your showcase.")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):  # renumbered 0..n-1: ties never linger
        item.position = position
    await global_.flush()


@dataclass(frozen=True)
class PublicShowcase:
    """A creator's public tab as a market's shoppers see it."""

    creator: Creator
    products: list[ShowcaseProduct]
    videos: Sequence[Video]  # the creator's ready videos in the market


async def public(
    global_: AsyncSession, cell: AsyncSession, *, handle: str, market: str
) -> PublicShowcase:
    """What the creator behind `handle` recommends, priced in `market`, and their videos
    there (`cell` is the market's); an unknown handle is a 404 that says so."""
    creator = await creators.get_by_handle(global_, handle)
    return PublicShowcase(
        creator=creator,
        products=await products(global_, creator_id=creator.id, market=market),
        videos=await content_service.ready_in_market(
            cell, market=market, host_user_id=creator.user_id
        ),
    )
