"""Catalog behaviour. Runs on the global cell's session."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide.catalog.models import Category, Listing, Product, ProductImage, Variant
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, VariantIn
from shoptide.db import Databases
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.i18n import N_
from shoptide.inventory import service as inventory_service
from shoptide.markets import service as markets_service
from shoptide.money import Money
from shoptide.settings import GLOBAL_CELL

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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def list_categories(session: AsyncSession) -> Sequence[Category]:
    return (
        await session.scalars(select(Category).order_by(Category.position, Category.name))
    ).all()


async def get_category(session: AsyncSession, slug: str) -> Category:
    category = await session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(f"There is no category {slug!r}.")
    return category


async def browse(
    session: AsyncSession,
    *,
    market: str,
    category_id: int | None = None,
    query: str | None = None,
    sort: str = "popular",
    page: int = 1,
    per_page: int = 24,
) -> Shelf:
    """Published products with a price in the market, with their lowest price."""
    price_from = func.min(Listing.price_minor).label("price_from")
    base = (
        select(Product.id, price_from, Listing.currency)
        .join(Listing, Listing.product_id == Product.id)
        .where(Listing.market_code == market, Product.status == "published")
        .group_by(Product.id, Listing.currency)
    )
    if category_id is not None:
        base = base.where(Product.category_id == category_id)
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
    return Shelf(items=items, total=total, page=page, per_page=per_page)


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


def _full_product() -> Select[Product]:
    return select(Product).options(
        selectinload(Product.variants), selectinload(Product.images), selectinload(Product.category)
    )


async def get_for_market(
    session: AsyncSession, product_id: int, *, market: str
) -> tuple[Product, dict[int, Listing]]:
    """A published product and its variants' listings in the market, or NotFound."""
    product = await session.scalar(_full_product().where(Product.id == product_id))
    listings = await listings_of_product(session, product_id, market=market)
    if product is None or product.status != "published" or not listings:
        raise NotFound("This product isn't available in your market.")
    return product, listings


async def listings_of_product(
    session: AsyncSession, product_id: int, *, market: str
) -> dict[int, Listing]:
    rows = await session.scalars(
        select(Listing).where(Listing.product_id == product_id, Listing.market_code == market)
    )
    return {listing.variant_id: listing for listing in rows}


@dataclass(frozen=True)
class Sellable:
    """What checkout needs to know of a variant in one market."""

    variant_id: int
    product_id: int
    shop_id: int
    sku: str
    title: str
    variant_label: str
    price: Money
    image: str | None


async def sellables(
    session: AsyncSession, variant_ids: Sequence[int], *, market: str
) -> dict[int, Sellable]:
    """Published variants with a price in the market, by variant id (missing ones omitted)."""
    if not variant_ids:
        return {}
    rows = await session.execute(
        select(Variant, Listing)
        .join(Listing, Listing.variant_id == Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(
            Variant.id.in_(variant_ids),
            Listing.market_code == market,
            Product.status == "published",
        )
        .options(selectinload(Variant.product).selectinload(Product.images))
    )
    result = {}
    for variant, listing in rows:
        product = variant.product
        result[variant.id] = Sellable(
            variant_id=variant.id,
            product_id=product.id,
            shop_id=product.shop_id,
            sku=variant.sku,
            title=product.title,
            variant_label=variant.label,
            price=Money(listing.price_minor, listing.currency),
            image=product.images[0].filename if product.images else None,
        )
    return result


async def sellables_of_products(
    session: AsyncSession, product_ids: Sequence[int], *, market: str
) -> list[Sellable]:
    """Every sellable variant of the products in the market, in the products' order."""
    variant_ids = list(
        await session.scalars(
            select(Variant.id)
            .where(Variant.product_id.in_(product_ids))
            .order_by(Variant.product_id, Variant.position)
        )
    )
    found = await sellables(session, variant_ids, market=market)
    rank = {product_id: i for i, product_id in enumerate(product_ids)}
    return sorted((found[v] for v in variant_ids if v in found), key=lambda s: rank[s.product_id])


async def products_sold_in(
    session: AsyncSession, product_ids: Sequence[int], *, market: str
) -> set[int]:
    """Which of the products are published with a price in the market."""
    if not product_ids:
        return set()
    rows = await session.scalars(
        select(Listing.product_id)
        .join(Product, Product.id == Listing.product_id)
        .where(
            Listing.product_id.in_(product_ids),
            Listing.market_code == market,
            Product.status == "published",
        )
        .distinct()
    )
    return set(rows)


@dataclass(frozen=True)
class MarketProduct:
    """A published product with a price in one market, as the feed's catalog needs it."""

    id: int
    shop_id: int
    category_id: int
    title: str
    price_minor: int  # its lowest variant price in the market
    created_at: datetime
    image: str | None  # first image's filename
    variant_ids: tuple[int, ...]  # the variants with a price in the market


async def on_sale_in(
    session: AsyncSession, *, market: str, product_ids: Sequence[int] | None = None
) -> dict[int, MarketProduct]:
    """Published products with a price in the market (all, or those of `product_ids`), by
    id, in two queries whatever their number."""
    on_sale = (
        select(Listing.product_id)
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.market_code == market, Product.status == "published")
    )
    if product_ids is not None:
        on_sale = on_sale.where(Listing.product_id.in_(product_ids))
    rows = await session.execute(
        select(
            Product.id,
            Product.shop_id,
            Product.category_id,
            Product.title,
            Product.created_at,
            Listing.variant_id,
            Listing.price_minor,
        )
        .join(Listing, Listing.product_id == Product.id)
        .where(Product.id.in_(on_sale.scalar_subquery()), Listing.market_code == market)
        .order_by(Product.id, Listing.variant_id)
    )
    prices: dict[int, int] = {}
    variants: dict[int, list[int]] = {}
    facts: dict[int, tuple[int, int, str, datetime]] = {}
    for pid, shop_id, category_id, title, created_at, variant_id, price_minor in rows:
        facts[pid] = (shop_id, category_id, title, created_at)
        prices[pid] = min(prices.get(pid, price_minor), price_minor)
        variants.setdefault(pid, []).append(variant_id)
    images: dict[int, str] = {}
    for pid, filename in await session.execute(
        select(ProductImage.product_id, ProductImage.filename)
        .where(ProductImage.product_id.in_(on_sale.scalar_subquery()))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ):
        images.setdefault(pid, filename)
    return {
        pid: MarketProduct(
            id=pid,
            shop_id=shop_id,
            category_id=category_id,
            title=title,
            price_minor=prices[pid],
            created_at=created_at,
            image=images.get(pid),
            variant_ids=tuple(variants[pid]),
        )
        for pid, (shop_id, category_id, title, created_at) in facts.items()
    }


async def variant_by_sku(session: AsyncSession, sku: str) -> Variant:
    variant = await session.scalar(select(Variant).where(Variant.sku == sku))
    if variant is None:
        raise NotFound(f"There is no product with SKU {sku!r}.")
    return variant


# --- Seller side --------------------------------------------------------------------------


async def list_for_shop(session: AsyncSession, *, shop_id: int) -> Sequence[Product]:
    return (
        await session.scalars(
            _full_product().where(Product.shop_id == shop_id).order_by(Product.id.desc())
        )
    ).all()


async def get_for_shop(session: AsyncSession, product_id: int, *, shop_id: int) -> Product:
    """The shop's own product; another shop's product is 'not found' to this shop."""
    product = await session.scalar(_full_product().where(Product.id == product_id))
    if product is None or product.shop_id != shop_id:
        raise NotFound(f"Product {product_id} is not one of your shop's products.")
    return product


async def listings_by_variant(session: AsyncSession, product_id: int) -> dict[int, list[Listing]]:
    rows = await session.scalars(
        select(Listing).where(Listing.product_id == product_id).order_by(Listing.market_code)
    )
    grouped: dict[int, list[Listing]] = {}
    for listing in rows:
        grouped.setdefault(listing.variant_id, []).append(listing)
    return grouped


async def _price_to_minor(session: AsyncSession, price: PriceIn) -> tuple[str, Money]:
    market = await markets_service.get(session, price.market)
    if price.currency.upper() != market.currency:
        raise InvalidInput(
            f"Prices in {market.name} must be in {market.currency}, not {price.currency.upper()}."
        )
    try:
        return market.code, Money.from_decimal(price.amount, market.currency)
    except ValueError as exc:
        raise InvalidInput(f"Price {price.amount} {market.currency}: {exc}.") from None


async def _build_variant(
    session: AsyncSession, product: Product, data: VariantIn, position: int
) -> Variant:
    variant = Variant(
        sku=data.sku, size=data.size.strip(), colour=data.colour.strip(), position=position
    )
    for price in data.prices:
        market, money = await _price_to_minor(session, price)
        variant.listings.append(
            Listing(
                product=product,
                market_code=market,
                price_minor=money.amount,
                currency=money.currency,
            )
        )
    for market in data.stock:
        if market.upper() not in {listing.market_code for listing in variant.listings}:
            raise InvalidInput(f"SKU {data.sku} has stock for {market} but no price there.")
    return variant


async def create(session: AsyncSession, *, shop_id: int, data: ProductCreate) -> Product:
    category = await get_category(session, data.category)
    skus = [variant.sku for variant in data.variants]
    if len(set(skus)) != len(skus):
        raise InvalidInput("Each variant needs its own SKU.")
    product = Product(
        shop_id=shop_id,
        category_id=category.id,
        title=data.title.strip(),
        description=data.description.strip(),
        status="draft",
    )
    session.add(product)
    for position, variant_data in enumerate(data.variants):
        product.variants.append(await _build_variant(session, product, variant_data, position))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict("One of these SKUs is already in use. SKUs must be unique.") from None
    return product


async def update(session: AsyncSession, product: Product, *, data: ProductUpdate) -> Product:
    if data.title is not None:
        product.title = data.title.strip()
    if data.description is not None:
        product.description = data.description.strip()
    if data.category is not None:
        product.category_id = (await get_category(session, data.category)).id
    await session.flush()
    return product


async def set_price(
    session: AsyncSession, product: Product, *, sku: str, price: PriceIn
) -> Listing:
    variant = next((v for v in product.variants if v.sku == sku), None)
    if variant is None:
        raise NotFound(f"SKU {sku!r} is not a variant of this product.")
    market, money = await _price_to_minor(session, price)
    listing = await session.scalar(
        select(Listing).where(Listing.variant_id == variant.id, Listing.market_code == market)
    )
    if listing is None:
        listing = Listing(
            variant_id=variant.id,
            product_id=product.id,
            market_code=market,
            currency=money.currency,
            price_minor=money.amount,
        )
        session.add(listing)
    listing.price_minor = money.amount
    await session.flush()
    return listing


async def set_status(session: AsyncSession, product: Product, *, status: str) -> Product:
    if status == "published" and not product.variants:
        raise InvalidInput("Add at least one variant with a price before publishing.")
    product.status = status
    await session.flush()
    return product


async def add_image(session: AsyncSession, product: Product, *, filename: str) -> ProductImage:
    image = ProductImage(product_id=product.id, filename=filename, position=len(product.images))
    session.add(image)
    await session.flush()
    return image


# --- Orchestration across the global cell and market cells --------------------------------
# Prices live in the global cell and stock in each market's cell: two databases, so these
# commit the product first (a draft, invisible to shoppers) and then each cell's stock.


async def create_with_stock(databases: Databases, *, shop_id: int, data: ProductCreate) -> Product:
    async with databases.session(GLOBAL_CELL) as session:
        product = await create(session, shop_id=shop_id, data=data)
        levels = [
            (variant.id, market.upper(), available)
            for variant, variant_data in zip(product.variants, data.variants, strict=True)
            for market, available in variant_data.stock.items()
        ]
    for variant_id, market, available in levels:
        await _write_stock(databases, variant_id=variant_id, market=market, available=available)
    return product


async def set_stock(
    databases: Databases,
    session: AsyncSession,
    product: Product,
    *,
    sku: str,
    market: str,
    available: int,
) -> None:
    """Set a variant's stock in a market's cell; `session` is the caller's global session."""
    variant = next((v for v in product.variants if v.sku == sku), None)
    if variant is None:
        raise NotFound(f"SKU {sku!r} is not a variant of this product.")
    listings = await listings_of_product(session, product.id, market=market.upper())
    if variant.id not in listings:
        raise InvalidInput(f"Set a price for {sku} in {market.upper()} before adding stock there.")
    await _write_stock(databases, variant_id=variant.id, market=market.upper(), available=available)


async def _write_stock(
    databases: Databases, *, variant_id: int, market: str, available: int
) -> None:
    if not 0 <= available <= 1_000_000:
        raise InvalidInput("Stock must be between 0 and 1,000,000 units.")
    cell = databases.settings.cell_of_market(market)
    async with databases.session(cell) as session:
        await inventory_service.set_level(
            session, variant_id=variant_id, market=market, available=available
        )


async def add_sales(session: AsyncSession, sold: Mapping[int, int]) -> None:
    """Add units sold to each product's popularity, in one UPDATE per product."""
    for product_id, quantity in sorted(sold.items()):
        await session.execute(
            sql_update(Product)
            .where(Product.id == product_id)
            .values(popularity=Product.popularity + quantity)
        )
