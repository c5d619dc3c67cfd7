"""Deterministic demo data: markets, shops, 1,000+ products with drawn pictures, prices and
stock per market, thousands of shoppers and 90 days of orders, and the affiliate program
(creators, plans, showcases and the commissions of the lines they led to: demo/affiliate.py).
This module loads it: the catalog (demo/catalog.py) into the global cell, each market's
shoppers and orders (demo/shoppers.py) into its cell, then live rooms and videos.

Every choice comes from a random.Random seeded per purpose ("7:catalog", "7:market:ID"),
so the same seed gives the same shops, titles, prices and orders whatever the cell layout;
only timestamps move with `now`. Rows go in as bulk Core inserts with ids we assign
ourselves (after reading max(id)), which keeps a full load to seconds on SQLite.
"""

import asyncio
import random
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from shoptide.accounts.models import Address, User
from shoptide.accounts.service import Passwords
from shoptide.catalog.models import Category, Listing, Product, ProductImage, Variant
from shoptide.checkout.models import Checkout
from shoptide.db import Base, Databases, utcnow
from shoptide.demo import affiliate, images, live
from shoptide.demo.catalog import build_catalog
from shoptide.demo.shoppers import build_market, demo_shopper_email, shopper_counts
from shoptide.demo.world import (
    DEMO_MERCHANT,
    DEMO_OPERATOR,
    DEMO_PASSWORD,
    DEMO_SHOP,
    DEMO_STAFF,
    DemoLogin,
    DemoSummary,
    Rows,
    insert_rows,
    next_ids,
)
from shoptide.errors import Conflict
from shoptide.inventory.models import Stock
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.orders.models import Order, OrderLine, OrderStatusChange
from shoptide.payments.models import Payment, Refund
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops.models import Shop, ShopMember

GLOBAL_MODELS: tuple[type[Base], ...] = (
    User,
    Shop,
    ShopMember,
    Category,
    Product,
    Variant,
    ProductImage,
    Listing,
)
CELL_MODELS: tuple[type[Base], ...] = (
    User,
    Address,
    Stock,
    Checkout,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    Refund,
)


def _logins(
    markets: Sequence[Market], settings: Settings, program: affiliate.Program
) -> list[DemoLogin]:
    logins = [
        DemoLogin(DEMO_OPERATOR, DEMO_PASSWORD, "operator", GLOBAL_CELL, "runs the markets"),
        DemoLogin(DEMO_MERCHANT, DEMO_PASSWORD, "merchant", GLOBAL_CELL, f"owner of {DEMO_SHOP}"),
        DemoLogin(DEMO_STAFF, DEMO_PASSWORD, "merchant", GLOBAL_CELL, f"staff of {DEMO_SHOP}"),
    ]
    if program.demo_creator_id:
        note = f"creator @{affiliate.DEMO_HANDLE}, invited by {DEMO_SHOP}"
        logins.append(
            DemoLogin(affiliate.DEMO_CREATOR, DEMO_PASSWORD, "creator", GLOBAL_CELL, note)
        )
    logins += [
        DemoLogin(
            demo_shopper_email(m.code),
            DEMO_PASSWORD,
            "shopper",
            settings.cell_of_market(m.code),
            f"shopper in {m.name}",
        )
        for m in markets
    ]
    return logins


async def load_demo(
    databases: Databases,
    settings: Settings,
    *,
    seed: int = 7,
    passwords: Passwords,
    now: datetime | None = None,
    with_videos: bool = True,
) -> DemoSummary:
    """Fill freshly migrated, empty databases with the demo world; refuses a second load."""
    now = now or utcnow()
    # hashed once and shared by every demo account: argon2 per account would take minutes
    password_hash = await asyncio.to_thread(passwords.hash, DEMO_PASSWORD)
    async with databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
        markets = list(await markets_service.list(session))
        if await session.scalar(select(func.count()).select_from(Product)):
            raise Conflict("The demo data is loaded already; start from an empty data folder.")
        global_ids = await next_ids(session, GLOBAL_MODELS)
    catalog = await asyncio.to_thread(
        build_catalog,
        random.Random(f"{seed}:catalog"),
        markets,
        global_ids,
        seed=seed,
        now=now,
        password_hash=password_hash,
    )
    await asyncio.to_thread(images.write_all, settings.media_dir, catalog.images)
    async with databases.session(GLOBAL_CELL) as session:
        await insert_rows(session, catalog.rows)
    program = await affiliate.create_program(
        databases,
        market_codes=[m.code for m in markets],
        demo_shop=DEMO_SHOP,
        seed=seed,
        password_hash=password_hash,
        now=now,
    )
    summary = catalog.summary
    summary.creators = program.creators
    counts = shopper_counts(markets)
    for cell in databases.each_cell():
        cell_markets = [
            m for m in markets if databases.home_cell(settings.cell_of_market(m.code)) == cell
        ]
        if not cell_markets:
            continue
        async with databases.session(cell) as session:
            rows = Rows(await next_ids(session, CELL_MODELS))
            for market in cell_markets:
                shoppers, orders = build_market(
                    rows,
                    random.Random(f"{seed}:market:{market.code}"),
                    market,
                    catalog,
                    counts[market.code],
                    now=now,
                    password_hash=password_hash,
                    attribution=program.attribution(market.code),
                )
                summary.shoppers += shoppers
                summary.orders += orders
            await insert_rows(session, rows)
    summary.live_rooms = await live.schedule_rooms(
        databases, settings, demo_shop=DEMO_SHOP, seed=seed, now=now
    )
    # booking is Python's work and the videos are ffmpeg's: side by side, the load ends sooner
    async with asyncio.TaskGroup() as group:
        books = group.create_task(affiliate.book_orders(databases, now=now))
        if with_videos:
            summary.videos = await live.upload_videos(databases, demo_shop=DEMO_SHOP, seed=seed)
    summary.commissions = books.result()
    summary.logins = _logins(markets, settings, program)
    return summary
