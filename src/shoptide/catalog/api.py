from typing import Annotated

from fastapi import APIRouter, Query, status

from shoptide.catalog import service
from shoptide.catalog.models import Listing, Product
from shoptide.catalog.schemas import (
    CategoryRead,
    PriceIn,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductSummary,
    ProductUpdate,
    StockUpdate,
    VariantRead,
    money_read,
)
from shoptide.deps import (
    OPTIONAL_BEARER,
    CellRead,
    CurrentMarket,
    CurrentSeat,
    DatabasesDep,
    GlobalRead,
    GlobalWrite,
)
from shoptide.inventory import service as inventory_service
from shoptide.markets.models import Market

public_router = APIRouter(tags=["catalog"])
router = APIRouter(prefix="/seller", tags=["seller: products"])


def image_url(filename: str) -> str:
    return f"/media/{filename}"


def _summary(product: Product, price: tuple[int, str] | None, locale: str) -> ProductSummary:
    return ProductSummary(
        id=product.id,
        title=product.title,
        shop_id=product.shop_id,
        category=product.category.slug,
        status=product.status,
        image_url=image_url(product.images[0].filename) if product.images else None,
        price_from=money_read(*price, locale) if price else None,
    )


def _product_read(
    product: Product, listings: dict[int, Listing], stock: dict[int, int] | None, locale: str
) -> ProductRead:
    prices = [
        (listings[v.id].price_minor, listings[v.id].currency)
        for v in product.variants
        if v.id in listings
    ]
    return ProductRead(
        **_summary(product, min(prices) if prices else None, locale).model_dump(),
        description=product.description,
        image_urls=[image_url(i.filename) for i in product.images],
        variants=[
            VariantRead(
                id=v.id,
                sku=v.sku,
                size=v.size,
                colour=v.colour,
                label=v.label,
                price=money_read(listings[v.id].price_minor, listings[v.id].currency, locale)
                if v.id in listings
                else None,
                available=stock.get(v.id, 0) if stock is not None else None,
            )
            for v in product.variants
        ],
    )


@public_router.get("/categories", response_model=list[CategoryRead])
async def list_categories(session: GlobalRead) -> list[CategoryRead]:
    return [CategoryRead.model_validate(c) for c in await service.list_categories(session)]


@public_router.get("/products", response_model=ProductPage, openapi_extra=OPTIONAL_BEARER)
async def browse_products(
    session: GlobalRead,
    market: CurrentMarket,
    category: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str, Query(pattern="^(popular|price_asc|price_desc|newest)$")] = "popular",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 24,
) -> ProductPage:
    """Published products with a price in the market (?market=ID or X-Market)."""
    category_id = (await service.get_category(session, category)).id if category else None
    shelf = await service.browse(
        session,
        market=market.code,
        category_id=category_id,
        query=q,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return ProductPage(
        items=[
            _summary(i.product, (i.price_from.amount, i.price_from.currency), market.locale)
            for i in shelf.items
        ],
        page=shelf.page,
        per_page=shelf.per_page,
        total=shelf.total,
    )


@public_router.get(
    "/products/{product_id}", response_model=ProductRead, openapi_extra=OPTIONAL_BEARER
)
async def get_product(
    product_id: int, session: GlobalRead, cell: CellRead, market: CurrentMarket
) -> ProductRead:
    product, listings = await service.get_for_market(session, product_id, market=market.code)
    stock = await inventory_service.levels(cell, listings, market=market.code)
    return _product_read(product, listings, stock, market.locale)


# --- Seller Center -----------------------------------------------------------------------


async def _seller_read(
    session: GlobalWrite | GlobalRead, product: Product, market: Market
) -> ProductRead:
    by_variant = await service.listings_by_variant(session, product.id)
    listings = {vid: rows[0] for vid, rows in by_variant.items()}
    return _product_read(product, listings, None, market.locale)


@router.get("/products", response_model=list[ProductSummary])
async def list_my_products(
    seat: CurrentSeat, session: GlobalRead, market: CurrentMarket
) -> list[ProductSummary]:
    return [
        _summary(p, None, market.locale)
        for p in await service.list_for_shop(session, shop_id=seat.shop.id)
    ]


@router.post("/products", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
async def create_product(
    body: ProductCreate, seat: CurrentSeat, databases: DatabasesDep, market: CurrentMarket
) -> ProductRead:
    """Create a draft product with variants, per-market prices and stock."""
    product = await service.create_with_stock(databases, shop_id=seat.shop.id, data=body)
    async with databases.session("global", write=False) as session:
        return await _seller_read(
            session, await service.get_for_shop(session, product.id, shop_id=seat.shop.id), market
        )


@router.get("/products/{product_id}", response_model=ProductRead)
async def get_my_product(
    product_id: int, seat: CurrentSeat, session: GlobalRead, market: CurrentMarket
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    return await _seller_read(session, product, market)


@router.patch("/products/{product_id}", response_model=ProductRead)
async def update_product(
    product_id: int,
    body: ProductUpdate,
    seat: CurrentSeat,
    session: GlobalWrite,
    market: CurrentMarket,
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    await service.update(session, product, data=body)
    return await _seller_read(session, product, market)


@router.put("/products/{product_id}/prices/{sku}", response_model=ProductRead)
async def set_price(
    product_id: int,
    sku: str,
    body: PriceIn,
    seat: CurrentSeat,
    session: GlobalWrite,
    market: CurrentMarket,
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    await service.set_price(session, product, sku=sku, price=body)
    return await _seller_read(session, product, market)


@router.put("/products/{product_id}/stock", response_model=ProductRead)
async def set_stock(
    product_id: int,
    body: StockUpdate,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
    market: CurrentMarket,
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    await service.set_stock(
        databases, session, product, sku=body.sku, market=body.market, available=body.available
    )
    return await _seller_read(session, product, market)


@router.post("/products/{product_id}/publish", response_model=ProductRead)
async def publish(
    product_id: int, seat: CurrentSeat, session: GlobalWrite, market: CurrentMarket
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    await service.set_status(session, product, status="published")
    return await _seller_read(session, product, market)


@router.post("/products/{product_id}/unpublish", response_model=ProductRead)
async def unpublish(
    product_id: int, seat: CurrentSeat, session: GlobalWrite, market: CurrentMarket
) -> ProductRead:
    product = await service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    await service.set_status(session, product, status="draft")
    return await _seller_read(session, product, market)
