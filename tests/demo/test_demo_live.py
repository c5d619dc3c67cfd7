"""The demo's live rooms are picked from each shop's best sellers in a market, on SQLite
and on PostgreSQL (which orders a DISTINCT query only by the columns it selects)."""

from sqlalchemy import update

from shoptide.catalog.models import Product
from shoptide.demo.live import PRODUCTS_PER_ROOM, sellers_by_market
from shoptide.settings import GLOBAL_CELL
from tests import factories


async def _popularity(databases, product_id: int, popularity: int) -> None:
    async with databases.session(GLOBAL_CELL) as session:
        await session.execute(
            update(Product).where(Product.id == product_id).values(popularity=popularity)
        )


async def test_rooms_show_each_shops_most_popular_products_once(databases):
    shop = await factories.merchant(databases)
    products = [
        await factories.product(databases, shop, prices={"US": 1999, "GB": 1599}, variants=2)
        for _ in range(PRODUCTS_PER_ROOM + 1)
    ]
    for rank, product in enumerate(products):
        await _popularity(databases, product.id, rank)
    unpublished = await factories.product(databases, shop, publish=False)

    by_market = await sellers_by_market(databases)

    best_first = [p.id for p in reversed(products)][:PRODUCTS_PER_ROOM]
    assert by_market["US"][shop.shop_id] == best_first
    assert by_market["GB"][shop.shop_id] == best_first
    assert unpublished.id not in by_market["US"][shop.shop_id]
