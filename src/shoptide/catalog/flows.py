"""Catalog use cases that own their units of work.

Prices live in the global cell and stock in each market's cell: two databases. Creating a
product commits it first (a draft, invisible to shoppers) and then each cell's stock. The
Seller Center's writes run here too, each in one global unit of work, so a domain error has
rolled everything back before the form is shown again.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.service import Principal
from shoptide.catalog import images, service
from shoptide.catalog.models import Category, Listing, Product, ProductImage
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, StockUpdate
from shoptide.creators import flows as creators_flows
from shoptide.creators import service as creators_service
from shoptide.creators.models import Creator
from shoptide.db import Databases
from shoptide.errors import InvalidInput
from shoptide.inventory import service as inventory_service
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL


@dataclass(frozen=True)
class ShopProduct:
    """A shop's own product and its prices in every market, by variant id."""

    product: Product
    listings: dict[int, list[Listing]]


async def _write_stock(
    databases: Databases, *, variant_id: int, market: str, available: int
) -> None:
    if not 0 <= available <= 1_000_000:
        raise InvalidInput("Stock must be between 0 and 1,000,000 units.")
    cell = databases.settings.cell_of_market(market)
    async with databases.session(cell) as session:
        await inventory_service.set_level(
            session, variant_id=variant_id, market=market, on_hand=available
        )


async def create_with_stock(databases: Databases, *, shop_id: int, data: ProductCreate) -> Product:
    """A draft product with its variants and prices, then its stock in each market's cell."""
    async with databases.session(GLOBAL_CELL) as session:
        product = await service.create(session, shop_id=shop_id, data=data)
        levels = [
            (variant.id, market.upper(), available)
            for variant, variant_data in zip(product.variants, data.variants, strict=True)
            for market, available in variant_data.stock.items()
        ]
    for variant_id, market, available in levels:
        await _write_stock(databases, variant_id=variant_id, market=market, available=available)
    return product


async def create_for_shop(
    databases: Databases, *, shop_id: int, data: ProductCreate
) -> ShopProduct:
    """create_with_stock, read back as the shop sees it."""
    created = await create_with_stock(databases, shop_id=shop_id, data=data)
    return await shop_product(databases, shop_id=shop_id, product_id=created.id)


async def shop_product(databases: Databases, *, shop_id: int, product_id: int) -> ShopProduct:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        return ShopProduct(product, await service.listings_by_variant(session, product.id))


async def set_stock(
    databases: Databases, *, shop_id: int, product_id: int, level: StockUpdate
) -> ShopProduct:
    """A variant's stock in one market, where it has a price there."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        variant = await service.check_stock_allowed(
            session, product, sku=level.sku, market=level.market
        )
        await _write_stock(
            databases, variant_id=variant.id, market=level.market.upper(), available=level.available
        )
        return ShopProduct(product, await service.listings_by_variant(session, product.id))


# --- Seller Center: one global unit of work each ----------------------------------------------


async def update_details(
    databases: Databases, *, shop_id: int, product_id: int, data: ProductUpdate
) -> Product:
    async with databases.session(GLOBAL_CELL) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        return await service.update(session, product, data=data)


async def save_variant(
    databases: Databases,
    *,
    shop_id: int,
    product_id: int,
    sku: str,
    prices: Sequence[PriceIn],
    levels: Sequence[StockUpdate],
) -> Product:
    """One variant's prices and stock levels. The prices go first, in this transaction, so
    the check that stock has a price sees them."""
    async with databases.session(GLOBAL_CELL) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        for price in prices:
            await service.set_price(session, product, sku=sku, price=price)
        for level in levels:
            variant = await service.check_stock_allowed(
                session, product, sku=sku, market=level.market
            )
            await _write_stock(
                databases,
                variant_id=variant.id,
                market=level.market.upper(),
                available=level.available,
            )
        return product


async def set_status(
    databases: Databases, *, shop_id: int, product_id: int, status: str
) -> Product:
    async with databases.session(GLOBAL_CELL) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        return await service.set_status(session, product, status=status)


async def add_picture(
    databases: Databases, *, shop_id: int, product_id: int, data: bytes
) -> ProductImage:
    """Check the file is a real picture, then write it and its row once the product is the
    shop's own; if the transaction fails, the file goes again (no row points at it)."""
    extension = await images.checked_picture(data)
    filename = images.product_picture_name(product_id, extension)
    path = databases.settings.media_dir / filename
    try:
        async with databases.session(GLOBAL_CELL) as session:
            product = await service.get_for_shop(session, product_id, shop_id=shop_id)
            await asyncio.to_thread(images.write_file, path, data)
            return await service.add_image(session, product, filename=filename)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# --- Seller Center: what the product's page shows ---------------------------------------------


@dataclass(frozen=True)
class ProductEditor:
    """A shop's product as its edit page shows it: prices by variant, the categories to
    choose from, and units on hand (reserved ones included) per (variant id, market
    code), read from each market's cell."""

    product: Product
    listings: dict[int, list[Listing]]
    categories: Sequence[Category]
    stock: dict[tuple[int, str], int]


async def product_editor(
    databases: Databases, *, shop_id: int, product_id: int, markets: Sequence[Market]
) -> ProductEditor:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        product = await service.get_for_shop(session, product_id, shop_id=shop_id)
        listings = await service.listings_by_variant(session, product.id)
        categories = await service.list_categories(session)
    by_cell: dict[str, list[str]] = {}
    for market in markets:
        cell = databases.home_cell(databases.settings.cell_of_market(market.code))
        by_cell.setdefault(cell, []).append(market.code)
    variant_ids = [v.id for v in product.variants]
    stock: dict[tuple[int, str], int] = {}
    for cell, codes in by_cell.items():
        async with databases.session(cell, write=False) as session:
            for code in codes:
                found = await inventory_service.on_hand(session, variant_ids, market=code)
                stock.update({(variant_id, code): n for variant_id, n in found.items()})
    return ProductEditor(product, listings, categories, stock)


@dataclass(frozen=True)
class ProductPage:
    on_sale: service.OnSale
    recommender: Creator | None


async def product_page(
    databases: Databases,
    global_: AsyncSession,
    cell: AsyncSession,
    product_id: int,
    *,
    market: Market,
    user: Principal | None,
    visit: dict[str, Any],
    creator_code: str | None,
) -> ProductPage:
    """A product on sale in the market and who recommended it to the shopper: the creator
    whose link they followed (a touch, or a click kept in a visitor's session), else their
    touch in force."""
    on_sale = await service.on_sale(global_, cell, product_id, market=market.code)
    if creator_code is not None:
        recommender: Creator | None = await creators_flows.follow(
            databases,
            global_,
            visit,
            user=user,
            code=creator_code,
            product_id=product_id,
            source_kind="link",
        )
    else:
        recommender = await creators_service.recommender(
            cell, global_, user=user, product_id=product_id, market=market
        )
    return ProductPage(on_sale, recommender)
