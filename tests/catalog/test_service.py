"""The catalog's rules as a merchant meets them: what a product needs, its variants and
their SKUs, prices per market in the market's currency, stock only where there is a
price, publishing (and the event it records), and pictures that must be real pictures."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from shoptide.catalog import flows, images, service
from shoptide.catalog.models import ProductImage
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, StockUpdate, VariantIn
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.events import OutboxEvent
from shoptide.inventory import service as inventory_service
from shoptide.markets import service as markets_service
from shoptide.media import media_url
from shoptide.settings import GLOBAL_CELL
from tests import factories


def _variant(sku: str, **prices: str) -> VariantIn:
    currencies = factories.CURRENCY
    return VariantIn(
        sku=sku,
        size="M",
        colour="Navy",
        prices=[
            PriceIn(market=m, amount=Decimal(a), currency=currencies[m]) for m, a in prices.items()
        ],
    )


def _product(*variants: VariantIn, category: str = "fashion") -> ProductCreate:
    return ProductCreate(title="  Rain Jacket ", category=category, variants=list(variants))


async def _create(databases, shop, data: ProductCreate):
    async with databases.session(GLOBAL_CELL) as session:
        return await service.create(session, shop_id=shop.shop_id, data=data)


@pytest.fixture
async def shop(databases):
    await factories.category(databases, "fashion")
    await factories.category(databases, "outdoor")
    return await factories.merchant(databases)


# --- creating and editing -------------------------------------------------------------------


async def test_a_new_product_is_a_draft_with_its_variants_and_prices(databases, shop):
    product = await _create(
        databases,
        shop,
        _product(_variant("RJ-M", US="89.50", ID="1250000"), _variant("RJ-L", US="92")),
    )

    async with databases.session(GLOBAL_CELL, write=False) as session:
        loaded = await service.get_for_shop(session, product.id, shop_id=shop.shop_id)
        listings = await service.listings_by_variant(session, product.id)
    assert loaded.status == "draft" and loaded.title == "Rain Jacket"
    assert [v.sku for v in loaded.variants] == ["RJ-M", "RJ-L"]
    prices = {
        (lst.market_code, lst.price_minor, lst.currency) for lst in listings[loaded.variants[0].id]
    }
    assert prices == {("US", 8950, "USD"), ("ID", 1250000, "IDR")}


async def test_two_variants_cannot_share_a_sku(databases, shop):
    with pytest.raises(InvalidInput, match="its own SKU"):
        await _create(databases, shop, _product(_variant("RJ-M", US="1"), _variant("RJ-M", US="2")))


async def test_a_sku_another_product_uses_is_refused(databases, shop):
    await _create(databases, shop, _product(_variant("RJ-M", US="1")))

    with pytest.raises(Conflict, match="already in use"):
        await _create(databases, shop, _product(_variant("RJ-M", US="2")))


async def test_an_unknown_category_is_not_found(databases, shop):
    with pytest.raises(NotFound, match="no category 'gadgets'"):
        await _create(databases, shop, _product(_variant("RJ-M", US="1"), category="gadgets"))


async def test_a_price_must_be_in_the_markets_currency(databases, shop):
    wrong = VariantIn(sku="RJ-M", prices=[PriceIn(market="ID", amount=Decimal(5), currency="USD")])

    with pytest.raises(InvalidInput, match="Prices in Indonesia must be in IDR, not USD"):
        await _create(databases, shop, _product(wrong))


async def test_a_price_finer_than_the_currency_is_refused(databases, shop):
    with pytest.raises(InvalidInput, match="IDR"):
        await _create(databases, shop, _product(_variant("RJ-M", ID="1500.50")))


async def test_stock_without_a_price_in_that_market_is_refused(databases, shop):
    variant = _variant("RJ-M", US="10").model_copy(update={"stock": {"GB": 3}})

    with pytest.raises(InvalidInput, match="stock for GB but no price there"):
        await flows.create_with_stock(databases, shop_id=shop.shop_id, data=_product(variant))


async def test_details_change_only_where_given(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="1")))

    async with databases.session(GLOBAL_CELL) as session:
        loaded = await service.get_for_shop(session, product.id, shop_id=shop.shop_id)
        await service.update(
            session, loaded, data=ProductUpdate(title=" Storm Jacket ", category="outdoor")
        )
        with pytest.raises(NotFound):
            await service.update(session, loaded, data=ProductUpdate(category="gadgets"))
    async with databases.session(GLOBAL_CELL, write=False) as session:
        loaded = await service.get_for_shop(session, product.id, shop_id=shop.shop_id)
    assert (loaded.title, loaded.category.slug, loaded.description) == (
        "Storm Jacket",
        "outdoor",
        "",
    )


async def test_another_shops_product_is_not_found(databases, shop):
    other = await factories.merchant(databases)
    product = await _create(databases, shop, _product(_variant("RJ-M", US="1")))

    async with databases.session(GLOBAL_CELL, write=False) as session:
        with pytest.raises(NotFound, match="not one of your shop's products"):
            await service.get_for_shop(session, product.id, shop_id=other.shop_id)


# --- prices and stock per market --------------------------------------------------------------


async def test_a_new_price_replaces_the_old_and_a_new_market_opens(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))

    async with databases.session(GLOBAL_CELL) as session:
        loaded = await service.get_for_shop(session, product.id, shop_id=shop.shop_id)
        await service.set_price(
            session,
            loaded,
            sku="RJ-M",
            price=PriceIn(market="US", amount=Decimal("12.50"), currency="USD"),
        )
        await service.set_price(
            session,
            loaded,
            sku="RJ-M",
            price=PriceIn(market="GB", amount=Decimal(9), currency="GBP"),
        )
        with pytest.raises(NotFound, match="'RJ-XL' is not a variant"):
            await service.set_price(
                session,
                loaded,
                sku="RJ-XL",
                price=PriceIn(market="US", amount=Decimal(1), currency="USD"),
            )
        await service.set_status(session, loaded, status="published")
    async with databases.session(GLOBAL_CELL, write=False) as session:
        variant_id = (await service.variant_by_sku(session, "RJ-M")).id
        us = await service.sellables(session, [variant_id], market="US")
        gb = await service.sellables(session, [variant_id], market="GB")
        de = await service.sellables(session, [variant_id], market="DE")
    assert us[variant_id].price.amount == 1250 and gb[variant_id].price.currency == "GBP"
    assert de == {}  # no price in Germany: not sold there


async def test_stock_goes_to_the_markets_cell_and_only_where_priced(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10", ID="150000")))

    await flows.set_stock(
        databases,
        shop_id=shop.shop_id,
        product_id=product.id,
        level=StockUpdate(sku="RJ-M", market="ID", available=4),
    )
    with pytest.raises(InvalidInput, match="Set a price for RJ-M in GB"):
        await flows.set_stock(
            databases,
            shop_id=shop.shop_id,
            product_id=product.id,
            level=StockUpdate(sku="RJ-M", market="GB", available=4),
        )

    variant_id = product.variants[0].id
    async with databases.session("sea", write=False) as sea:
        assert await inventory_service.levels(sea, [variant_id], market="ID") == {variant_id: 4}
    async with databases.session("main", write=False) as main:
        assert (await inventory_service.levels(main, [variant_id], market="US")).get(
            variant_id, 0
        ) == 0


async def test_saving_a_variant_prices_a_market_then_stocks_it_in_one_go(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))

    await flows.save_variant(
        databases,
        shop_id=shop.shop_id,
        product_id=product.id,
        sku="RJ-M",
        prices=[PriceIn(market="GB", amount=Decimal(8), currency="GBP")],
        levels=[StockUpdate(sku="RJ-M", market="GB", available=6)],
    )

    editor = await flows.product_editor(
        databases, shop_id=shop.shop_id, product_id=product.id, markets=await _markets(databases)
    )
    variant_id = product.variants[0].id
    assert editor.stock[(variant_id, "GB")] == 6
    assert {lst.market_code for lst in editor.listings[variant_id]} == {"US", "GB"}


async def _markets(databases):
    async with databases.session(GLOBAL_CELL, write=False) as session:
        return list(await markets_service.list(session))


# --- publishing -------------------------------------------------------------------------------


async def _status_events(databases) -> list[dict]:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "ProductStatusChanged")
            .order_by(OutboxEvent.id)
        )
        return list(rows)


async def test_publishing_shows_the_product_and_records_each_change_once(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))

    for status in ("published", "published", "draft"):
        await flows.set_status(
            databases, shop_id=shop.shop_id, product_id=product.id, status=status
        )
        if status == "published":
            async with databases.session(GLOBAL_CELL, write=False) as session:
                assert await service.products_sold_in(session, [product.id], market="US") == {
                    product.id
                }

    async with databases.session(GLOBAL_CELL, write=False) as session:
        assert await service.products_sold_in(session, [product.id], market="US") == set()
    assert await _status_events(databases) == [
        {
            "product_id": product.id,
            "shop_id": shop.shop_id,
            "from_status": "draft",
            "to_status": "published",
        },
        {
            "product_id": product.id,
            "shop_id": shop.shop_id,
            "from_status": "published",
            "to_status": "draft",
        },
    ]


async def test_a_status_other_than_draft_or_published_is_refused(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))

    with pytest.raises(InvalidInput, match="draft or published"):
        await flows.set_status(
            databases, shop_id=shop.shop_id, product_id=product.id, status="archived"
        )
    assert await _status_events(databases) == []


# --- pictures ---------------------------------------------------------------------------------


def _picture(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format=kind)
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
async def test_a_real_picture_is_known_by_its_content(kind, extension):
    assert await images.checked_picture(_picture(kind)) == extension


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a picture"),
        (b"<?php echo 'hi'; ?>", "isn't one"),
        (_picture("GIF"), "PNG, JPEG or WebP"),
        (b"\x89PNG" + b"0" * images.MAX_IMAGE_BYTES, "at most 5 MB"),
    ],
)
async def test_what_is_not_a_picture_we_take_is_refused(data, message):
    with pytest.raises(InvalidInput, match=message):
        await images.checked_picture(data)


async def test_a_picture_is_written_and_listed_in_order(databases, shop):
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))

    first = await flows.add_picture(
        databases, shop_id=shop.shop_id, product_id=product.id, data=_picture("PNG")
    )
    second = await flows.add_picture(
        databases, shop_id=shop.shop_id, product_id=product.id, data=_picture("JPEG")
    )

    assert (first.position, second.position) == (0, 1)
    assert (databases.settings.media_dir / second.filename).read_bytes() == _picture("JPEG")
    assert media_url(first.filename) == f"/media/{first.filename}"


async def test_a_picture_for_another_shops_product_leaves_no_file(databases, shop):
    theirs = await factories.merchant(databases)
    product = await _create(databases, shop, _product(_variant("RJ-M", US="10")))
    folder = databases.settings.media_dir / "products"
    before = set(folder.iterdir()) if folder.exists() else set()

    with pytest.raises(NotFound):
        await flows.add_picture(
            databases, shop_id=theirs.shop_id, product_id=product.id, data=_picture("PNG")
        )

    assert (set(folder.iterdir()) if folder.exists() else set()) == before
    async with databases.session(GLOBAL_CELL, write=False) as session:
        assert (await session.scalars(select(ProductImage))).all() == []
