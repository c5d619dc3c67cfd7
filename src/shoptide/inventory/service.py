"""Stock levels and reservations in a market's cell. Stock only moves through one
conditional UPDATE, never read-then-write, so two buyers can't take the same unit."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.errors import OutOfStock
from shoptide.inventory.models import Reservation, Stock


async def set_level(
    session: AsyncSession, *, variant_id: int, market: str, available: int
) -> Stock:
    stock = await session.scalar(
        select(Stock).where(Stock.variant_id == variant_id, Stock.market_code == market)
    )
    if stock is None:
        stock = Stock(variant_id=variant_id, market_code=market, available=available)
        session.add(stock)
    stock.available = available
    await session.flush()
    return stock


async def levels(
    session: AsyncSession, variant_ids: Iterable[int], *, market: str
) -> dict[int, int]:
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Stock.variant_id, Stock.available).where(
            Stock.variant_id.in_(ids), Stock.market_code == market
        )
    )
    return {variant_id: available for variant_id, available in rows}


async def reserve(
    session: AsyncSession,
    *,
    items: Sequence[tuple[int, int, str]],
    market: str,
    checkout_id: int,
    expires_at: datetime,
) -> None:
    """Take (variant_id, quantity, label) units all-or-nothing; raises OutOfStock.

    Call it as the last write before commit: a hot SKU's row stays locked from its UPDATE
    until the commit, so everything else is written first. Rows are updated in variant
    order so concurrent checkouts lock them in the same order. The caller's transaction
    rolls back everything on OutOfStock.
    """
    stock_ids = dict(
        (
            await session.execute(
                select(Stock.variant_id, Stock.id).where(
                    Stock.variant_id.in_([variant_id for variant_id, _, _ in items]),
                    Stock.market_code == market,
                )
            )
        ).all()
    )
    for variant_id, quantity, label in items:
        if variant_id not in stock_ids:
            raise OutOfStock(f"Sorry, {label} is out of stock.")
        session.add(
            Reservation(
                stock_id=stock_ids[variant_id],
                checkout_id=checkout_id,
                quantity=quantity,
                expires_at=expires_at,
            )
        )
    await session.flush()
    for variant_id, quantity, label in sorted(items):
        taken = cast(
            CursorResult[Any],
            await session.execute(
                update(Stock)
                .where(Stock.id == stock_ids[variant_id], Stock.available >= quantity)
                .values(available=Stock.available - quantity)
            ),
        )
        if taken.rowcount == 0:
            raise OutOfStock(f"Sorry, {label} doesn't have {quantity} left in stock.")


async def _take_reservations(session: AsyncSession, checkout_id: int) -> list[tuple[int, int]]:
    rows = await session.execute(
        delete(Reservation)
        .where(Reservation.checkout_id == checkout_id)
        .returning(Reservation.stock_id, Reservation.quantity)
    )
    return [(stock_id, quantity) for stock_id, quantity in rows]


async def release(session: AsyncSession, *, checkout_id: int) -> None:
    """Give a checkout's reserved units back to the shelf (payment failed or expired)."""
    for stock_id, quantity in await _take_reservations(session, checkout_id):
        await session.execute(
            update(Stock).where(Stock.id == stock_id).values(available=Stock.available + quantity)
        )


async def consume(session: AsyncSession, *, checkout_id: int) -> None:
    """The checkout was paid: its reserved units are sold."""
    await _take_reservations(session, checkout_id)


async def restock(session: AsyncSession, *, items: Iterable[tuple[int, int]], market: str) -> None:
    """Return sold (variant_id, quantity) units to the shelf, e.g. on cancellation."""
    for variant_id, quantity in items:
        await session.execute(
            update(Stock)
            .where(Stock.variant_id == variant_id, Stock.market_code == market)
            .values(available=Stock.available + quantity)
        )


async def expired_checkout_ids(session: AsyncSession, *, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Reservation.checkout_id).where(Reservation.expires_at <= now).distinct()
    )
    return list(rows)
