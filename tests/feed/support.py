"""What the feed's tests share: videos made through content's own service (no ffmpeg)."""

from collections.abc import Sequence

from sqlalchemy import select, update

from shoptide.catalog.models import Category, Product
from shoptide.content import media
from shoptide.content import service as content_service
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL
from tests import factories


async def video(
    databases: Databases,
    host: factories.Merchant,
    *,
    market: str = "US",
    product_ids: Sequence[int] = (),
    ready: bool = True,
    caption: str = "Unboxing",
    duration_ms: int = 20_000,
) -> int:
    """A video of the host's shop tagging the products; ready (transcoded) unless told."""
    cell = databases.settings.cell_of_market(market)
    async with databases.session(cell) as session:
        made = await content_service.create(
            session,
            market=market,
            shop_id=host.shop_id,
            host_user_id=host.id,
            caption=caption,
            product_ids=product_ids,
            upload_path="videos/x/upload.mp4",
            facts=media.Probe(width=720, height=1280, duration_ms=duration_ms, has_audio=True),
        )
        if ready:
            await content_service.publish(
                session,
                made.id,
                playlist_path=f"videos/{made.id}/index.m3u8",
                poster_path=f"videos/{made.id}/poster.jpg",
                size=media.Rendition(720, 1280, 2000),
            )
    return made.id


async def put_in_category(databases: Databases, product_id: int, slug: str) -> int:
    """Move a product to a category (made if missing); returns the category's id."""
    await factories.category(databases, slug)
    async with databases.session(GLOBAL_CELL) as session:
        category = await session.scalar(select(Category.id).where(Category.slug == slug))
        assert category is not None
        await session.execute(
            update(Product).where(Product.id == product_id).values(category_id=category)
        )
    return category
