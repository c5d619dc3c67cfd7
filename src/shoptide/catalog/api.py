from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from shoptide.catalog import flows, service, shelf
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
from shoptide.ids import Id
from shoptide.markets.models import Market
from shoptide.media import MEDIA_PATH, media_url

public_router = APIRouter(tags=["catalog"])
router = APIRouter(prefix="/seller", tags=["seller: products"])


def _summary(product: Product, price: tuple[int, str] | None, locale: str) -> ProductSummary:
    return ProductSummary(
        id=product.id,
        title=product.title,
        shop_id=product.shop_id,
        category=product.category.slug,
        status=product.status,
        image_url=media_url(product.images[0].filename) if product.images else None,
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
        image_urls=[f"{MEDIA_PATH}/{i.filename}" for i in product.images],
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
    found = await shelf.browse(
        session,
        market=market.code,
        category=category,
        query=q,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return ProductPage(
        items=[
            _summary(i.product, (i.price_from.amount, i.price_from.currency), market.locale)
            for i in found.items
        ],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )


@public_router.get(
    "/products/{product_id}", response_model=ProductRead, openapi_extra=OPTIONAL_BEARER
)
async def get_product(
    product_id: Id, session: GlobalRead, cell: CellRead, market: CurrentMarket
) -> ProductRead:
    found = await service.on_sale(session, cell, product_id, market=market.code)
    return _product_read(found.product, found.listings, found.stock, market.locale)


# --- Seller Center -----------------------------------------------------------------------


def _seller_read(found: flows.ShopProduct, market: Market) -> ProductRead:
    listings = {vid: rows[0] for vid, rows in found.listings.items()}
    return _product_read(found.product, listings, None, market.locale)


async def _own_product(product_id: Id, seat: CurrentSeat, session: GlobalWrite) -> Product:
    """The shop's own product, in the request's write session (another shop's is a 404)."""
    return await service.get_for_shop(session, product_id, shop_id=seat.shop.id)


OwnProduct = Annotated[Product, Depends(_own_product)]


async def _changed(session: GlobalWrite, product: Product, market: Market) -> ProductRead:
    """A changed product read back: its prices in every market, as the shop sees it."""
    found = flows.ShopProduct(product, await service.listings_by_variant(session, product.id))
    return _seller_read(found, market)


@router.get("/products", response_model=list[ProductSummary])
async def list_my_products(
    seat: CurrentSeat, session: GlobalRead, market: CurrentMarket
) -> list[ProductSummary]:
    return [
        _summary(p, None, market.locale)
        for p in await service.list_for_shop(session, shop_id=seat.shop.id)
    ]


# What the schema cannot say: a price's decimal places follow its market's currency.
PRICE_RULES: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Not valid: a field (see `details`), or a price in a market we don't "
        "sell in, in another currency than the market's, or with more decimal places than "
        "that currency has"
    }
}


@router.post(
    "/products",
    response_model=ProductRead,
    status_code=status.HTTP_201_CREATED,
    responses=PRICE_RULES,
)
async def create_product(
    body: ProductCreate, seat: CurrentSeat, databases: DatabasesDep, market: CurrentMarket
) -> ProductRead:
    """Create a draft product with variants, per-market prices and stock."""
    found = await flows.create_for_shop(databases, shop_id=seat.shop.id, data=body)
    return _seller_read(found, market)


@router.get("/products/{product_id}", response_model=ProductRead)
async def get_my_product(
    product_id: Id, seat: CurrentSeat, databases: DatabasesDep, market: CurrentMarket
) -> ProductRead:
    found = await flows.shop_product(databases, shop_id=seat.shop.id, product_id=product_id)
    return _seller_read(found, market)


@router.patch("/products/{product_id}", response_model=ProductRead)
async def update_product(
    body: ProductUpdate, product: OwnProduct, session: GlobalWrite, market: CurrentMarket
) -> ProductRead:
    await service.update(session, product, data=body)
    return await _changed(session, product, market)


@router.put(
    "/products/{product_id}/prices/{sku}", response_model=ProductRead, responses=PRICE_RULES
)
async def set_price(
    sku: str, body: PriceIn, product: OwnProduct, session: GlobalWrite, market: CurrentMarket
) -> ProductRead:
    await service.set_price(session, product, sku=sku, price=body)
    return await _changed(session, product, market)


@router.put("/products/{product_id}/stock", response_model=ProductRead)
async def set_stock(
    product_id: Id,
    body: StockUpdate,
    seat: CurrentSeat,
    databases: DatabasesDep,
    market: CurrentMarket,
) -> ProductRead:
    found = await flows.set_stock(
        databases, shop_id=seat.shop.id, product_id=product_id, level=body
    )
    return _seller_read(found, market)


async def _set_status(
    session: GlobalWrite, product: Product, market: Market, status: str
) -> ProductRead:
    await service.set_status(session, product, status=status)
    return await _changed(session, product, market)


@router.post("/products/{product_id}/publish", response_model=ProductRead)
async def publish(product: OwnProduct, session: GlobalWrite, market: CurrentMarket) -> ProductRead:
    return await _set_status(session, product, market, "published")


@router.post("/products/{product_id}/unpublish", response_model=ProductRead)
async def unpublish(
    product: OwnProduct, session: GlobalWrite, market: CurrentMarket
) -> ProductRead:
    return await _set_status(session, product, market, "draft")
