"""Catalog behaviour: categories, products, their variants and prices per market. Runs on
the global cell's session; use cases that also write stock in the market cells are in
flows.py, the shop window's pages in shelf.py, pictures in images.py."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shoptide import events
from shoptide.catalog.models import Category, Listing, Product, ProductImage, Variant
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, VariantIn
from shoptide.db import flush_unique
from shoptide.errors import InvalidInput, NotFound
from shoptide.inventory import service as inventory_service
from shoptide.markets import service as markets_service
from shoptide.money import Money

MAX_LINE_QUANTITY = 99  # units of one variant a shopper may buy in one cart line


async def list_categories(session: AsyncSession) -> Sequence[Category]:
    return (
        await session.scalars(select(Category).order_by(Category.position, Category.name))
    ).all()


async def get_category(session: AsyncSession, slug: str) -> Category:
    category = await session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(f"There is no category {slug!r}.")
    return category


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


@dataclass(frozen=True)
class OnSale:
    """A published product as its page shows it in a market: the variants with a price
    there, their listings and their units available (by variant id)."""

    product: Product
    variants: list[Variant]
    listings: dict[int, Listing]
    stock: dict[int, int]


async def on_sale(
    session: AsyncSession, cell: AsyncSession, product_id: int, *, market: str
) -> OnSale:
    """get_for_market with the stock of the market's cell (`cell`), or NotFound."""
    product, listings = await get_for_market(session, product_id, market=market)
    stock = await inventory_service.levels(cell, listings, market=market)
    variants = [v for v in product.variants if v.id in listings]
    return OnSale(product, variants, listings, stock)


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
    await flush_unique(session, "One of these SKUs is already in use. SKUs must be unique.")
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
    variant = variant_of(product, sku)
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


PRODUCT_STATUSES = ("draft", "published")


async def set_status(session: AsyncSession, product: Product, *, status: str) -> Product:
    """Publish (shoppers find it where it has a price) or take back to draft; a change is
    recorded as ProductStatusChanged, whoever makes it (the shop, or an operator)."""
    if status not in PRODUCT_STATUSES:
        raise InvalidInput("A product is either a draft or published.")
    if status == "published" and not product.variants:
        raise InvalidInput("Add at least one variant with a price before publishing.")
    if status != product.status:
        events.record(
            session,
            events.ProductStatusChanged(
                product_id=product.id,
                shop_id=product.shop_id,
                from_status=product.status,
                to_status=status,
            ),
        )
    product.status = status
    await session.flush()
    return product


async def set_status_of(
    session: AsyncSession, product_ids: Sequence[int], *, status: str
) -> list[Product]:
    """Operators: the same change for several products of any shop (the console's action)."""
    products = (await session.scalars(_full_product().where(Product.id.in_(product_ids)))).all()
    return [await set_status(session, product, status=status) for product in products]


def variant_of(product: Product, sku: str) -> Variant:
    variant = next((v for v in product.variants if v.sku == sku), None)
    if variant is None:
        raise NotFound(f"SKU {sku!r} is not a variant of this product.")
    return variant


async def check_stock_allowed(
    session: AsyncSession, product: Product, *, sku: str, market: str
) -> Variant:
    """Stock goes only where the variant has a price: the variant, or NotFound/InvalidInput."""
    variant = variant_of(product, sku)
    listings = await listings_of_product(session, product.id, market=market.upper())
    if variant.id not in listings:
        raise InvalidInput(f"Set a price for {sku} in {market.upper()} before adding stock there.")
    return variant


async def add_image(session: AsyncSession, product: Product, *, filename: str) -> ProductImage:
    image = ProductImage(product_id=product.id, filename=filename, position=len(product.images))
    session.add(image)
    await session.flush()
    return image


async def add_sales(session: AsyncSession, sold: Mapping[int, int]) -> None:
    """Add units sold to each product's popularity, in one UPDATE per product."""
    for product_id, quantity in sorted(sold.items()):
        await session.execute(
            sql_update(Product)
            .where(Product.id == product_id)
            .values(popularity=Product.popularity + quantity)
        )
