"""Demo live rooms: every market gets a few rooms scheduled over the next days by shops
that sell there, so /live shows what is coming and hosts have rooms to go live in."""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from shoptide.catalog.models import Listing, Product
from shoptide.db import Databases
from shoptide.live import rooms
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops.models import Shop, ShopMember

ROOMS_PER_MARKET = 4
PRODUCTS_PER_ROOM = 5
ROOM_TITLES = (
    "{shop} live: this week's favourites",
    "Flash deals hour with {shop}",
    "Try-on and bargains at {shop}",
    "{shop} unboxing: new arrivals",
    "Ask me anything: {shop} best sellers",
)


async def _sellers_by_market(databases: Databases) -> dict[str, dict[int, list[int]]]:
    """market → shop id → its most popular published products sold there."""
    by_market: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    async with databases.session(GLOBAL_CELL, write=False) as session:
        rows = await session.execute(
            select(Listing.market_code, Product.shop_id, Product.id)
            .join(Product, Product.id == Listing.product_id)
            .where(Product.status == "published")
            .distinct()
            .order_by(Listing.market_code, Product.shop_id, Product.popularity.desc())
        )
        for market, shop_id, product_id in rows:
            products = by_market[market][shop_id]
            if len(products) < PRODUCTS_PER_ROOM:
                products.append(product_id)
    return by_market


async def _hosts(databases: Databases) -> dict[int, tuple[int, str]]:
    """shop id → (its owner's user id, the shop's name)."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        rows = await session.execute(
            select(Shop.id, ShopMember.user_id, Shop.name)
            .join(ShopMember, ShopMember.shop_id == Shop.id)
            .where(ShopMember.role == "owner")
        )
        return {shop_id: (user_id, name) for shop_id, user_id, name in rows}


async def schedule_rooms(
    databases: Databases, settings: Settings, *, demo_shop: str, seed: int, now: datetime
) -> int:
    """Schedule the demo's live rooms; the demo merchant's shop gets the first US slot."""
    rng = random.Random(f"{seed}:live")
    sellers, hosts = await _sellers_by_market(databases), await _hosts(databases)
    scheduled = 0
    for market, shops in sorted(sellers.items()):
        shop_ids = sorted(shops, key=lambda s: (hosts[s][1] != demo_shop, s))
        picked = shop_ids[:1] + rng.sample(
            shop_ids[1:], min(ROOMS_PER_MARKET - 1, len(shop_ids) - 1)
        )
        async with (
            databases.session(GLOBAL_CELL, write=False) as global_,
            databases.session(settings.cell_of_market(market)) as cell,
        ):
            for slot, shop_id in enumerate(picked):
                host_id, shop_name = hosts[shop_id]
                await rooms.schedule(
                    cell,
                    global_,
                    host_user_id=host_id,
                    shop_id=shop_id,
                    market=market,
                    title=rng.choice(ROOM_TITLES).format(shop=shop_name)[:120],
                    scheduled_at=now + timedelta(minutes=30) + timedelta(hours=7 * slot),
                    product_ids=shops[shop_id],
                )
                scheduled += 1
    return scheduled
