"""The shop window: published products with a price in a market, a page at a time, in the
order a shopper picks (popular, price, newest), with their lowest price."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide.catalog import service
from shoptide.catalog.models import Category, Listing, Product
from shoptide.i18n import N_
from shoptide.money import Money

SORTS = {  # labels in English; shopper pages translate them (N_ marks them for pybabel)
    "popular": N_("Popular"),
    "price_asc": N_("Price: low to high"),
    "price_desc": N_("Price: high to low"),
    "newest": N_("Newest"),
}


@dataclass
class ShelfItem:
    product: Product
    price_from: Money


@dataclass
class Shelf:
    items: list[ShelfItem]
    total: int
    page: int
    per_page: int
    category: Category | None = None  # the one browsed, if any

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def browse(
    session: AsyncSession,
    *,
    market: str,
    category: str | None = None,
    query: str | None = None,
    sort: str = "popular",
    page: int = 1,
    per_page: int = 24,
) -> Shelf:
    """Published products with a price in the market (of the category whose slug is given:
    NotFound if there is none), with their lowest price."""
    chosen = await service.get_category(session, category) if category else None
    price_from = func.min(Listing.price_minor).label("price_from")
    base = (
        select(Product.id, price_from, Listing.currency)
        .join(Listing, Listing.product_id == Product.id)
        .where(Listing.market_code == market, Product.status == "published")
        .group_by(Product.id, Listing.currency)
    )
    if chosen is not None:
        base = base.where(Product.category_id == chosen.id)
    if query:
        base = base.where(Product.title.ilike(f"%{query.strip()}%"))
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    orderings: dict[str, tuple[SQLColumnExpression[Any], ...]] = {
        "price_asc": (price_from.asc(), Product.id),
        "price_desc": (price_from.desc(), Product.id),
        "newest": (Product.created_at.desc(), Product.id.desc()),
    }
    order = orderings.get(sort, (Product.popularity.desc(), Product.id))
    rows = (
        await session.execute(
            base.order_by(*order).limit(per_page).offset((max(page, 1) - 1) * per_page)
        )
    ).all()
    products = await _products_with_images([row[0] for row in rows], session)
    items = [ShelfItem(products[pid], Money(int(minor), currency)) for pid, minor, currency in rows]
    return Shelf(items=items, total=total, page=page, per_page=per_page, category=chosen)


@dataclass(frozen=True)
class ShelfPage:
    """A shop-window page: the shelf, and every category to browse next."""

    shelf: Shelf
    categories: Sequence[Category]


async def shelf_page(
    session: AsyncSession,
    *,
    market: str,
    category: str | None = None,
    query: str | None = None,
    sort: str = "popular",
    page: int = 1,
    per_page: int = 24,
) -> ShelfPage:
    """browse(...) and the categories."""
    found = await browse(
        session,
        market=market,
        category=category,
        query=query,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return ShelfPage(found, await service.list_categories(session))


async def _products_with_images(ids: list[int], session: AsyncSession) -> dict[int, Product]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Product)
        .where(Product.id.in_(ids))
        .options(
            selectinload(Product.images),
            selectinload(Product.category),
            selectinload(Product.variants),  # the shelf card says "from" for several variants
        )
    )
    return {product.id: product for product in rows}
