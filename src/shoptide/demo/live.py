"""Demo content: every market gets a few live rooms scheduled over the next days by shops
that sell there, so /live shows what is coming and hosts have rooms to go live in; and,
where ffmpeg is installed, a few short videos (drawn test patterns) that the running app
transcodes in the background like any upload."""

import asyncio
import random
import shutil
import subprocess
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from shoptide.catalog.models import Listing, Product
from shoptide.content import flows as content_flows
from shoptide.content.schemas import VideoCreate
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


async def sellers_by_market(databases: Databases) -> dict[str, dict[int, list[int]]]:
    """market → shop id → its most popular published products sold there."""
    by_market: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    async with databases.session(GLOBAL_CELL, write=False) as session:
        rows = await session.execute(
            # PostgreSQL orders a DISTINCT query only by selected columns: popularity is one
            select(Listing.market_code, Product.shop_id, Product.id, Product.popularity)
            .join(Product, Product.id == Listing.product_id)
            .where(Product.status == "published")
            .distinct()
            .order_by(Listing.market_code, Product.shop_id, Product.popularity.desc())
        )
        for market, shop_id, product_id, _popularity in rows:
            products = by_market[market][shop_id]
            if len(products) < PRODUCTS_PER_ROOM:
                products.append(product_id)
    return by_market


async def hosts_of_shops(databases: Databases) -> dict[int, tuple[int, str]]:
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
    on_the_hour = now.replace(minute=0, second=0, microsecond=0)
    sellers, hosts = await sellers_by_market(databases), await hosts_of_shops(databases)
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
                    scheduled_at=on_the_hour + timedelta(hours=1 + 7 * slot),
                    product_ids=shops[shop_id],
                )
                scheduled += 1
    return scheduled


# ffmpeg's drawn sources: each demo video looks different
PATTERNS = ("testsrc2", "smptehdbars", "mandelbrot", "rgbtestsrc", "cellauto", "life")
VIDEO_MARKETS = ("US", "US", "US", "GB", "ID", "TH")
VIDEO_SECONDS = 6
CAPTIONS = (
    "Three ways to style it #ootd",
    "Unboxing our best seller",
    "60-second review: worth it?",
    "What I ordered vs what I got",
)


def _clip(path: Path, pattern: str) -> Path:
    """A portrait clip with a tone, like a phone's upload."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{pattern}=size=360x640:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(VIDEO_SECONDS), "-c:v", "libx264",
         "-c:a", "aac", "-pix_fmt", "yuv420p", str(path)],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path


async def upload_videos(databases: Databases, *, demo_shop: str, seed: int) -> int:
    """Upload the demo videos (the app transcodes them once it runs); 0 without ffmpeg."""
    if shutil.which("ffmpeg") is None:
        return 0
    rng = random.Random(f"{seed}:videos")
    sellers, hosts = await sellers_by_market(databases), await hosts_of_shops(databases)
    demo_shop_id = next(s for s, (_, name) in hosts.items() if name == demo_shop)
    with tempfile.TemporaryDirectory() as folder:
        for n, (market, pattern) in enumerate(zip(VIDEO_MARKETS, PATTERNS, strict=True)):
            shop_id = demo_shop_id if market == "US" else rng.choice(sorted(sellers[market]))
            clip = await asyncio.to_thread(_clip, Path(folder) / f"clip{n}.mp4", pattern)
            with clip.open("rb") as file:
                await content_flows.upload(
                    databases,
                    shop_id=shop_id,
                    host_user_id=hosts[shop_id][0],
                    data=VideoCreate(
                        market=market,
                        caption=rng.choice(CAPTIONS),
                        product_ids=sellers[market][shop_id][:3],
                    ),
                    file=file,
                    filename=clip.name,
                )
    return len(VIDEO_MARKETS)
