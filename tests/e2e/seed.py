"""The shop the browser tests walk through, built through the domains' own services.

Run as a program (`python -m tests.e2e.seed`) by the e2e fixtures, in the environment the
server will get, so its event loop never meets the test session's. It migrates every cell,
seeds markets, accounts and products with pictures, and prints what it made as JSON.
"""

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from shoptide.accounts.service import Passwords
from shoptide.catalog import flows as catalog_flows
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category
from shoptide.catalog.schemas import PriceIn, ProductCreate, VariantIn
from shoptide.content import flows as content_flows
from shoptide.content import jobs as video_jobs
from shoptide.content import media
from shoptide.content import service as content_service
from shoptide.content.schemas import VideoCreate
from shoptide.creators import service as creators_service
from shoptide.db import Databases, upgrade_all, utcnow
from shoptide.demo import images
from shoptide.feed import service as feed_service
from shoptide.feed.items import CLICK, IMPRESSION, WATCH, Signal, item_key
from shoptide.feed.ladder import StageChange
from shoptide.live import rooms
from shoptide.markets import service as markets_service
from shoptide.money import Money
from shoptide.settings import GLOBAL_CELL, Settings
from tests import factories

CATEGORIES = {
    "womens-fashion": "Women's Fashion",
    "home": "Home & Kitchen",
    "beauty": "Beauty",
    "audio": "Audio",
}


@dataclass
class SeededProduct:
    id: int
    title: str
    skus: list[str]


@dataclass
class World:
    """What the tests may rely on; every test buys with its own shopper and product."""

    password: str = factories.PASSWORD
    merchant_email: str = "merchant@tidewater.test"
    shop_name: str = "Tidewater Goods"
    indonesian_shopper: str = "sari@example.com"
    american_shopper: str = "dana@example.com"
    products: dict[str, SeededProduct] = field(default_factory=dict)
    video_path: str = ""  # a ready short video in the US market, tagging two products
    live_room: str = ""  # public name of a US live room on air, selling two products
    selling_room: str = ""  # another US room on air, for flash deals and bargaining
    # For You: a shopper of its own, a second shop (the feed spreads shops out), and a video
    # of the merchant's with feed history that stopped in the starter pool
    feed_shopper: str = "fern@example.com"
    second_shop: str = "Harbor Supply"
    report_video: str = ""  # its caption
    # the affiliate program: a creator of the US market, and a shopper who buys through them
    creator_email: str = "maya@creators.test"
    creator_handle: str = "maya_makes"
    affiliate_shopper: str = "lee@example.com"

    @classmethod
    def from_json(cls, text: str) -> "World":
        data = json.loads(text)
        products = {key: SeededProduct(**p) for key, p in data.pop("products").items()}
        return cls(**data, products=products)


@dataclass(frozen=True)
class ProductSpec:
    key: str
    title: str
    category: str
    shape: str  # a drawing of shoptide.demo.images
    colour: str
    sizes: list[str]
    prices: dict[str, int]  # minor units per market
    stock: dict[str, int]  # units per market


CATALOG = [
    ProductSpec("overshirt", "Linen Overshirt", "womens-fashion", "shirt", "#c9a27e",
                ["S", "M", "L"], {"US": 4900, "ID": 459_000}, {"US": 20, "ID": 12}),
    ProductSpec("mug", "Ceramic Pour-over Mug", "home", "mug", "#5b8fb9",
                ["350 ml"], {"US": 2400, "ID": 219_000}, {"US": 5, "ID": 9}),
    ProductSpec("dress", "Breezy Wrap Dress", "womens-fashion", "dress", "#d46a6a",
                ["XS", "S", "M"], {"US": 6800, "ID": 629_000}, {"US": 30, "ID": 30}),
    ProductSpec("serum", "Vitamin C Serum", "beauty", "bottle", "#f0b429",
                ["30 ml", "50 ml"], {"US": 1900, "ID": 149_000}, {"US": 40, "ID": 40}),
    ProductSpec("earbuds", "Noise-cancelling Earbuds", "audio", "headphones", "#3d405b",
                ["One size"], {"US": 8900, "ID": 1_299_000}, {"US": 15, "ID": 0}),
    ProductSpec("lamp", "Rattan Table Lamp", "home", "lamp", "#e07a5f",
                ["One size"], {"US": 5400, "ID": 499_000}, {"US": 7, "ID": 3}),
    ProductSpec("hat", "Woven Sun Hat", "womens-fashion", "bag", "#e9c46a",
                ["One size"], {"US": 3990}, {"US": 20}),
]  # fmt: skip
SECOND_SHOP_CATALOG = [
    ProductSpec("tote", "Canvas Market Tote", "womens-fashion", "bag", "#6a994e",
                ["One size"], {"US": 3200}, {"US": 25}),
    ProductSpec("jar", "Glass Pantry Jar", "home", "jar", "#81b29a",
                ["1 l"], {"US": 1500}, {"US": 25}),
    ProductSpec("speaker", "Pocket Speaker", "audio", "headphones", "#264653",
                ["One size"], {"US": 4500}, {"US": 25}),
]  # fmt: skip


async def _fresh_postgres_databases(databases: Databases) -> None:
    """Create the e2e databases from the `test` database if missing, and empty them."""
    for url in databases.distinct_urls():
        if not url.startswith("postgresql"):
            continue
        target = make_url(url).set(drivername="postgresql")
        admin = await asyncpg.connect(target.set(database="test").render_as_string(False))
        try:
            exists = await admin.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", target.database
            )
            if not exists:
                await admin.execute(f'CREATE DATABASE "{target.database}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(target.render_as_string(False))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()


async def _categories(databases: Databases) -> None:
    async with databases.session(GLOBAL_CELL) as session:
        for slug, name in CATEGORIES.items():
            session.add(Category(slug=slug, name=name))


async def _product(databases: Databases, shop_id: int, spec: ProductSpec, n: int) -> SeededProduct:
    data = ProductCreate(
        title=spec.title,
        description=f"{spec.title}: made to last, shipped from a warehouse near you.",
        category=spec.category,
        variants=[
            VariantIn(
                sku=f"E2E-{n}-{i}",
                size=size,
                prices=[
                    PriceIn(
                        market=m,
                        amount=Money(a, factories.CURRENCY[m]).to_decimal(),
                        currency=factories.CURRENCY[m],
                    )
                    for m, a in spec.prices.items()
                ],
                stock=spec.stock,
            )
            for i, size in enumerate(spec.sizes)
        ],
    )
    created = await catalog_flows.create_with_stock(databases, shop_id=shop_id, data=data)
    filename = images.image_filename(created.id, 1)
    picture = images.product_svg(
        seed=n, shape=spec.shape, colour=spec.colour, label=spec.title.split()[-1]
    )
    target = databases.settings.media_dir / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(picture, encoding="utf-8")
    async with databases.session(GLOBAL_CELL) as session:
        loaded = await catalog_service.get_for_shop(session, created.id, shop_id=shop_id)
        await catalog_service.add_image(session, loaded, filename=filename)
        await catalog_service.set_status(session, loaded, status="published")
    return SeededProduct(created.id, spec.title, [v.sku for v in data.variants])


async def build(settings: Settings) -> World:
    databases = Databases(settings)
    try:
        await _fresh_postgres_databases(databases)
        await asyncio.to_thread(upgrade_all, settings)
        async with databases.session(GLOBAL_CELL) as session:
            await markets_service.ensure_defaults(session)
        world = World()
        await _categories(databases)
        shop = await factories.merchant(
            databases, shop_name=world.shop_name, email=world.merchant_email
        )
        await factories.shopper(databases, market="ID", email=world.indonesian_shopper)
        await factories.shopper(databases, market="US", email=world.american_shopper)
        for n, spec in enumerate(CATALOG, start=1):
            world.products[spec.key] = await _product(databases, shop.shop_id, spec, n)
        tagged = [world.products[key].id for key in ("overshirt", "mug")]
        world.video_path = await _video(databases, shop, tagged)
        world.live_room = await _live_room(databases, shop, tagged, "Linen season, live")
        on_sale = [world.products[key].id for key in ("serum", "dress")]
        world.selling_room = await _live_room(databases, shop, on_sale, "Glow hour, live")
        await factories.shopper(databases, market="US", email=world.feed_shopper)
        harbor = await factories.merchant(databases, shop_name=world.second_shop)
        for n, spec in enumerate(SECOND_SHOP_CATALOG, start=len(CATALOG) + 1):
            world.products[spec.key] = await _product(databases, harbor.shop_id, spec, n)
        world.report_video = await _feed_history(databases, shop, world)
        await _creator(databases, world)
        await factories.shopper(databases, market="US", email=world.affiliate_shopper)
        return world
    finally:
        await databases.dispose()


def make_clip(path: Path, *, size: str = "360x640", seconds: int = 4) -> Path:
    """A test-pattern clip with a tone (portrait by default), as a phone would upload it."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=30",
         "-f", "lavfi", "-i", "sine", "-t", str(seconds), "-c:v", "libx264", "-c:a", "aac",
         "-pix_fmt", "yuv420p", str(path)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


async def _video(databases: Databases, shop: factories.Merchant, product_ids: list[int]) -> str:
    """Uploaded and transcoded the way the upload route and its background job do it."""
    with tempfile.TemporaryDirectory() as folder:
        clip = await asyncio.to_thread(make_clip, Path(folder) / "clip.mp4")
        with clip.open("rb") as file:
            video = await content_flows.upload(
                databases,
                shop_id=shop.shop_id,
                host_user_id=shop.id,
                data=VideoCreate(market="US", caption="Linen season", product_ids=product_ids),
                file=file,
                filename=clip.name,
            )
    await video_jobs.transcode_video(databases, databases.settings.cell_of_market("US"), video.id)
    return f"/videos/US/{video.id}"


async def _live_room(
    databases: Databases, shop: factories.Merchant, product_ids: list[int], title: str
) -> str:
    """Scheduled, then on air the way the media server's publish hook puts it there."""
    cell = databases.settings.cell_of_market("US")
    async with databases.session(GLOBAL_CELL) as global_, databases.session(cell) as session:
        room, key = await rooms.schedule(
            session,
            global_,
            host_user_id=shop.id,
            shop_id=shop.shop_id,
            market="US",
            title=title,
            scheduled_at=utcnow(),
            product_ids=product_ids,
        )
        await rooms.begin_publishing(session, public_name=room.public_name, key=key)
    return room.public_name


async def _feed_history(databases: Databases, shop: factories.Merchant, world: World) -> str:
    """A video of the shop that the feed showed 100 times in its starter pool: 2 clicks
    (its peers, three product cards, drew 10%), so the ladder stopped it there."""
    caption = "Rattan light, explained"
    cell = databases.settings.cell_of_market("US")
    async with databases.session(cell) as session:
        made = await content_service.create(
            session,
            market="US",
            shop_id=shop.shop_id,
            host_user_id=shop.id,
            caption=caption,
            product_ids=[world.products["lamp"].id],
            upload_path="videos/history/upload.mp4",
            facts=media.Probe(width=720, height=1280, duration_ms=20_000, has_audio=True),
        )
        await content_service.publish(
            session,
            made.id,
            playlist_path=f"videos/{made.id}/index.m3u8",
            poster_path=f"videos/{made.id}/poster.jpg",
            size=media.Rendition(720, 1280, 2000),
        )
    at = time.time() - 3600
    key = item_key("video", made.id)
    signals = [Signal(f"user:{9000 + i}", "US", key, IMPRESSION, at, stage=0) for i in range(100)]
    signals += [Signal(f"user:{9000 + i}", "US", key, CLICK, at) for i in range(2)]
    signals += [Signal(f"user:{9000 + i}", "US", key, WATCH, at, 15_000) for i in range(30)]
    for peer in ("serum", "earbuds", "mug"):
        peer_key = item_key("product", world.products[peer].id)
        signals += [Signal(f"user:{9100 + i}", "US", peer_key, IMPRESSION, at) for i in range(40)]
        signals += [Signal(f"user:{9100 + i}", "US", peer_key, CLICK, at) for i in range(4)]
    stopped = StageChange(key, "US", shop.shop_id, 0, "stopped", "stayed in the starter pool", at)
    async with databases.session(cell) as session:
        await feed_service.record(session, signals)
        await feed_service.save_stages(session, [stopped])
    return caption


async def _creator(databases: Databases, world: World) -> None:
    """A creator account, made as the sign-up page makes it."""
    async with databases.session(GLOBAL_CELL) as session:
        await creators_service.join(
            session,
            email=world.creator_email,
            password=world.password,
            display_name="Maya Makes",
            handle=world.creator_handle,
            market_code="US",
            passwords=Passwords(databases.settings),
        )


def main() -> None:
    world = asyncio.run(build(Settings()))
    json.dump(asdict(world), sys.stdout)


if __name__ == "__main__":
    main()
