"""Stock levels and reservations in a market's cell. Stock only moves through one
conditional UPDATE, never read-then-write, so two buyers can't take the same unit."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import rows_updated
from shoptide.errors import Conflict, OutOfStock
from shoptide.inventory.models import SHELF, Reservation, Stock


async def _held(session: AsyncSession, *, variant_id: int, market: str) -> int:
    """Units of a variant that are in the warehouse but not on the shelf: reserved by
    unpaid checkouts (from any pool) or set aside in an open pool. All of them come back
    to the shelf unless they are sold."""
    variant_rows = select(Stock.id).where(
        Stock.variant_id == variant_id, Stock.market_code == market
    )
    reserved = select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
        Reservation.stock_id.in_(variant_rows)
    )
    in_pools = select(func.coalesce(func.sum(Stock.available), 0)).where(
        Stock.variant_id == variant_id, Stock.market_code == market, Stock.pool != SHELF
    )
    return int(await session.scalar(reserved) or 0) + int(await session.scalar(in_pools) or 0)


async def set_level(session: AsyncSession, *, variant_id: int, market: str, on_hand: int) -> Stock:
    """Set the units the merchant has in the warehouse, the way they count them: units
    held by unpaid checkouts and live deals included. The shelf gets what is not held, so
    when held units come back the total is still `on_hand`. Raises Conflict if fewer
    units are counted than are held: those checkouts may still be paid, and the shelf
    can't go below zero."""
    # Lock the shelf row first: a checkout reserving from it waits for this transaction,
    # and every reservation committed before the lock is seen by the count below.
    stock = await session.scalar(
        select(Stock)
        .where(Stock.variant_id == variant_id, Stock.market_code == market, Stock.pool == SHELF)
        .with_for_update()
    )
    held = await _held(session, variant_id=variant_id, market=market)
    if on_hand < held:
        raise Conflict(
            f"{held} units are held by checkouts in progress or live deals, so stock can't "
            f"be set to {on_hand}. Set at least {held}, or try again once they are paid or "
            "released."
        )
    if stock is None:
        stock = Stock(variant_id=variant_id, market_code=market, available=0)
        session.add(stock)
    stock.available = on_hand - held
    await session.flush()
    return stock


async def on_hand(
    session: AsyncSession, variant_ids: Iterable[int], *, market: str
) -> dict[int, int]:
    """Units in the warehouse per variant as set_level counts them: the shelf, units
    reserved by unpaid checkouts and units set aside in pools."""
    ids = list(variant_ids)
    if not ids:
        return {}
    reserved = (
        select(Reservation.stock_id, func.sum(Reservation.quantity).label("quantity"))
        .join(Stock, Stock.id == Reservation.stock_id)
        .where(Stock.variant_id.in_(ids), Stock.market_code == market)
        .group_by(Reservation.stock_id)
        .subquery()
    )
    rows = await session.execute(
        select(Stock.variant_id, func.sum(Stock.available + func.coalesce(reserved.c.quantity, 0)))
        .outerjoin(reserved, reserved.c.stock_id == Stock.id)
        .where(Stock.variant_id.in_(ids), Stock.market_code == market)
        .group_by(Stock.variant_id)
    )
    return {variant_id: int(units) for variant_id, units in rows}


async def levels(
    session: AsyncSession, variant_ids: Iterable[int], *, market: str
) -> dict[int, int]:
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Stock.variant_id, Stock.available).where(
            Stock.variant_id.in_(ids), Stock.market_code == market, Stock.pool == SHELF
        )
    )
    return {variant_id: available for variant_id, available in rows}


async def in_stock(
    session: AsyncSession, *, market: str, variant_ids: Iterable[int] | None = None
) -> set[int]:
    """Variants with units on the market's shelf (all of them, or among `variant_ids`)."""
    query = select(Stock.variant_id).where(
        Stock.market_code == market, Stock.pool == SHELF, Stock.available > 0
    )
    if variant_ids is not None:
        query = query.where(Stock.variant_id.in_(list(variant_ids)))
    return set(await session.scalars(query))


class Take(NamedTuple):
    """Units a checkout takes: from the shelf, or from a pool set aside (a flash deal)."""

    variant_id: int
    quantity: int
    label: str
    pool: str = SHELF


async def _stock_ids(
    session: AsyncSession, items: Sequence[Take], market: str
) -> dict[tuple[int, str], int]:
    rows = await session.execute(
        select(Stock.variant_id, Stock.pool, Stock.id).where(
            Stock.variant_id.in_([item.variant_id for item in items]),
            Stock.market_code == market,
            Stock.pool.in_({item.pool for item in items}),
            Stock.is_open,
        )
    )
    return {(variant_id, pool): stock_id for variant_id, pool, stock_id in rows}


async def reserve(
    session: AsyncSession,
    *,
    items: Sequence[Take],
    market: str,
    checkout_id: int,
    expires_at: datetime,
) -> None:
    """Take the items' units all-or-nothing; raises OutOfStock.

    Call it as the last write before commit: a hot SKU's row stays locked from its UPDATE
    until the commit, so everything else is written first. Rows are updated in stock-row
    order so concurrent checkouts lock them in the same order. The caller's transaction
    rolls back everything on OutOfStock.
    """
    stock_ids = await _stock_ids(session, items, market)
    for item in items:
        if (item.variant_id, item.pool) not in stock_ids:
            raise OutOfStock(f"Sorry, {item.label} is out of stock.")
        session.add(
            Reservation(
                stock_id=stock_ids[item.variant_id, item.pool],
                checkout_id=checkout_id,
                quantity=item.quantity,
                expires_at=expires_at,
            )
        )
    await session.flush()
    for item in sorted(items, key=lambda i: stock_ids[i.variant_id, i.pool]):
        taken = await rows_updated(
            session,
            update(Stock)
            .where(
                Stock.id == stock_ids[item.variant_id, item.pool],
                Stock.is_open,
                Stock.available >= item.quantity,
            )
            .values(available=Stock.available - item.quantity),
        )
        if taken == 0:
            raise OutOfStock(f"Sorry, {item.label} doesn't have {item.quantity} left in stock.")


async def _give_back(session: AsyncSession, stock_id: int, quantity: int) -> None:
    """Units go back to their pool while it is open, else to the variant's shelf."""
    if await rows_updated(
        session,
        update(Stock)
        .where(Stock.id == stock_id, Stock.is_open)
        .values(available=Stock.available + quantity),
    ):
        return
    pool = await session.get_one(Stock, stock_id)
    await restock(session, items=[(pool.variant_id, quantity)], market=pool.market_code)


async def open_pool(
    session: AsyncSession, *, variant_id: int, market: str, pool: str, quantity: int, label: str
) -> None:
    """Move units from the shelf into a pool of their own; raises OutOfStock."""
    moved = await rows_updated(
        session,
        update(Stock)
        .where(
            Stock.variant_id == variant_id,
            Stock.market_code == market,
            Stock.pool == SHELF,
            Stock.available >= quantity,
        )
        .values(available=Stock.available - quantity),
    )
    if not moved:
        raise OutOfStock(f"Sorry, {label} doesn't have {quantity} on the shelf to set aside.")
    session.add(Stock(variant_id=variant_id, market_code=market, pool=pool, available=quantity))
    await session.flush()


async def close_pool(session: AsyncSession, *, market: str, pool: str) -> int:
    """Put a pool's unsold units back on the shelf; returns how many. Units of checkouts
    still unpaid follow later, when they are released."""
    closing = await rows_updated(
        session,
        update(Stock)
        .where(Stock.market_code == market, Stock.pool == pool, Stock.is_open)
        .values(is_open=False),
    )
    if not closing:
        return 0
    # the UPDATE above locks the row until commit: nobody takes units in between
    stock = await session.scalar(
        select(Stock).where(Stock.market_code == market, Stock.pool == pool)
    )
    assert stock is not None
    left = stock.available
    await session.execute(update(Stock).where(Stock.id == stock.id).values(available=0))
    await restock(session, items=[(stock.variant_id, left)], market=market)
    return left


async def pool_levels(
    session: AsyncSession, *, market: str, pools: Sequence[str]
) -> dict[str, int]:
    """Units left in each pool (0 for a pool that doesn't exist), in one query."""
    rows = await session.execute(
        select(Stock.pool, Stock.available).where(
            Stock.market_code == market, Stock.pool.in_(list(pools))
        )
    )
    found: dict[str, int] = {pool: available for pool, available in rows}
    return {pool: found.get(pool, 0) for pool in pools}


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
        await _give_back(session, stock_id, quantity)


async def consume(session: AsyncSession, *, checkout_id: int) -> None:
    """The checkout was paid: its reserved units are sold."""
    await _take_reservations(session, checkout_id)


async def restock(session: AsyncSession, *, items: Iterable[tuple[int, int]], market: str) -> None:
    """Return sold (variant_id, quantity) units to the shelf, e.g. on cancellation."""
    for variant_id, quantity in items:
        await session.execute(
            update(Stock)
            .where(Stock.variant_id == variant_id, Stock.market_code == market, Stock.pool == SHELF)
            .values(available=Stock.available + quantity)
        )


async def expired_checkout_ids(session: AsyncSession, *, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Reservation.checkout_id).where(Reservation.expires_at <= now).distinct()
    )
    return list(rows)
