"""Creator touches (market cell): the last creator who led a shopper to a product.

Attribution is last touch: a touch is recorded when a shopper opens a creator's showcase
product or creator link, or adds to cart from a creator's video or live room; the touch
in force at add-to-cart is stamped on the cart line and honoured at payment when the
payment falls within the market's attribution window of the touch."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.models import TOUCH_SOURCES, CreatorTouch
from shoptide.db import upsert, utcnow


@dataclass(frozen=True)
class Touch:
    creator_id: int
    source_kind: str  # TOUCH_SOURCES
    source_id: int | None
    touched_at: datetime


async def record(
    cell: AsyncSession,
    *,
    shopper_id: int,
    product_id: int,
    creator_id: int,
    source_kind: str,
    source_id: int | None = None,
    at: datetime | None = None,
) -> Touch:
    """Make this creator the shopper's last touch for the product (one upsert)."""
    if source_kind not in TOUCH_SOURCES:
        raise ValueError(f"unknown touch source {source_kind!r}")
    touched_at = at or utcnow()
    values = {
        "creator_id": creator_id,
        "source_kind": source_kind,
        "source_id": source_id,
        "touched_at": touched_at,
    }
    statement = upsert(cell, CreatorTouch).values(
        shopper_id=shopper_id, product_id=product_id, **values
    )
    await cell.execute(
        statement.on_conflict_do_update(index_elements=["shopper_id", "product_id"], set_=values)
    )
    return Touch(creator_id, source_kind, source_id, touched_at)


async def in_force(
    cell: AsyncSession,
    *,
    shopper_id: int,
    product_id: int,
    window: timedelta,
    now: datetime | None = None,
) -> Touch | None:
    """The shopper's last creator touch for the product, if it is within the window."""
    row = await cell.scalar(
        select(CreatorTouch).where(
            CreatorTouch.shopper_id == shopper_id, CreatorTouch.product_id == product_id
        )
    )
    if row is None or row.touched_at < (now or utcnow()) - window:
        return None
    return Touch(row.creator_id, row.source_kind, row.source_id, row.touched_at)
