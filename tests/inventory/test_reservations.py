"""Stock and reservations, through the inventory service on the real database: units move
only by conditional updates, a checkout takes all it asks for or nothing, and what a
checkout held goes back when it is released."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shoptide.db import utcnow
from shoptide.errors import Conflict, OutOfStock
from shoptide.inventory import service as inventory
from shoptide.inventory.models import SHELF, Reservation

CELL = "main"
SOCKS, MUG = 101, 102  # variant ids (the catalog lives in the global cell)


async def stock(databases, **levels: int) -> None:
    async with databases.session(CELL) as s:
        for name, available in levels.items():
            variant_id = {"socks": SOCKS, "mug": MUG}[name]
            await inventory.set_level(s, variant_id=variant_id, market="US", on_hand=available)


async def shelf(databases, *variant_ids: int) -> dict[int, int]:
    async with databases.session(CELL, write=False) as s:
        return await inventory.levels(s, variant_ids, market="US")


async def reservations(databases) -> int:
    async with databases.session(CELL, write=False) as s:
        return await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))) or 0


async def reserve(databases, checkout_id: int, *takes: inventory.Take, minutes: int = 15) -> None:
    async with databases.session(CELL) as s:
        await inventory.reserve(
            s,
            items=list(takes),
            market="US",
            checkout_id=checkout_id,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )


def take(variant_id: int, quantity: int, pool: str = SHELF) -> inventory.Take:
    return inventory.Take(variant_id, quantity, f"variant {variant_id}", pool)


async def open_deal_pool(databases, *, socks: int) -> None:
    """A live deal sets `socks` units aside in its pool "deal:1"."""
    async with databases.session(CELL) as s:
        await inventory.open_pool(
            s, variant_id=SOCKS, market="US", pool="deal:1", quantity=socks, label="Socks"
        )


async def test_twenty_checkouts_racing_for_five_units_take_exactly_five(databases):
    await stock(databases, socks=5)

    outcomes = await asyncio.gather(
        *(reserve(databases, checkout_id, take(SOCKS, 1)) for checkout_id in range(1, 21)),
        return_exceptions=True,
    )

    assert sum(outcome is None for outcome in outcomes) == 5
    assert all(isinstance(o, OutOfStock) for o in outcomes if o is not None)
    assert await shelf(databases, SOCKS) == {SOCKS: 0}
    assert await reservations(databases) == 5


async def test_a_checkout_takes_all_of_its_lines_or_none(databases):
    await stock(databases, socks=5, mug=1)

    with pytest.raises(OutOfStock, match="doesn't have 2 left"):
        await reserve(databases, 1, take(SOCKS, 3), take(MUG, 2))

    assert await shelf(databases, SOCKS, MUG) == {SOCKS: 5, MUG: 1}
    assert await reservations(databases) == 0


async def test_a_variant_without_stock_in_the_market_is_out_of_stock(databases):
    with pytest.raises(OutOfStock, match="out of stock"):
        await reserve(databases, 1, take(SOCKS, 1))


async def test_releasing_a_checkout_gives_its_units_back_once(databases):
    await stock(databases, socks=5)
    await reserve(databases, 7, take(SOCKS, 3))

    for _ in range(2):  # a second release finds nothing left to give back
        async with databases.session(CELL) as s:
            await inventory.release(s, checkout_id=7)

    assert await shelf(databases, SOCKS) == {SOCKS: 5}
    assert await reservations(databases) == 0


async def test_a_paid_checkout_keeps_its_units_sold(databases):
    await stock(databases, socks=5)
    await reserve(databases, 7, take(SOCKS, 3))

    async with databases.session(CELL) as s:
        await inventory.consume(s, checkout_id=7)
        await inventory.release(s, checkout_id=7)  # nothing held any more: nothing comes back

    assert await shelf(databases, SOCKS) == {SOCKS: 2}
    assert await reservations(databases) == 0


async def test_only_reservations_past_their_expiry_are_due(databases):
    await stock(databases, socks=5)
    await reserve(databases, 1, take(SOCKS, 1), minutes=-1)
    await reserve(databases, 2, take(SOCKS, 1), minutes=30)

    async with databases.session(CELL, write=False) as s:
        due_now = await inventory.expired_checkout_ids(s, now=utcnow())
        due_later = await inventory.expired_checkout_ids(s, now=utcnow() + timedelta(hours=1))

    assert due_now == [1]
    assert sorted(due_later) == [1, 2]


async def test_units_set_aside_in_a_pool_return_to_the_shelf_when_it_closes(databases):
    await stock(databases, socks=10)
    await open_deal_pool(databases, socks=4)
    await reserve(databases, 9, take(SOCKS, 1, pool="deal:1"))

    async with databases.session(CELL) as s:
        returned = await inventory.close_pool(s, market="US", pool="deal:1")
    async with databases.session(CELL) as s:
        await inventory.release(s, checkout_id=9)  # the pool is closed: back to the shelf

    assert returned == 3
    assert await shelf(databases, SOCKS) == {SOCKS: 10}
    async with databases.session(CELL, write=False) as s:
        assert await inventory.pool_levels(s, market="US", pools=["deal:1"]) == {"deal:1": 0}


async def test_a_pool_cannot_take_more_than_the_shelf_holds(databases):
    await stock(databases, socks=2)

    with pytest.raises(OutOfStock, match="to set aside"):
        async with databases.session(CELL) as s:
            await inventory.open_pool(
                s, variant_id=SOCKS, market="US", pool="deal:1", quantity=3, label="Socks"
            )

    assert await shelf(databases, SOCKS) == {SOCKS: 2}


async def expire_all(databases) -> None:
    """What the expiry sweep does: release every checkout past its reservations' expiry."""
    async with databases.session(CELL) as s:
        for checkout_id in await inventory.expired_checkout_ids(
            s, now=utcnow() + timedelta(days=1)
        ):
            await inventory.release(s, checkout_id=checkout_id)


async def on_hand(databases) -> int:
    async with databases.session(CELL, write=False) as s:
        return (await inventory.on_hand(s, [SOCKS], market="US"))[SOCKS]


async def test_setting_stock_counts_reserved_units_so_their_expiry_creates_none(databases):
    await stock(databases, socks=10)
    await reserve(databases, 1, take(SOCKS, 3))

    await stock(databases, socks=10)  # the merchant counts 10 in the warehouse
    assert await shelf(databases, SOCKS) == {SOCKS: 7}
    await expire_all(databases)

    assert await shelf(databases, SOCKS) == {SOCKS: 10}
    assert await reservations(databases) == 0


async def test_a_sold_reservation_leaves_the_warehouse_count(databases):
    await stock(databases, socks=10)
    await reserve(databases, 1, take(SOCKS, 3))
    await stock(databases, socks=8)

    async with databases.session(CELL) as s:
        await inventory.consume(s, checkout_id=1)

    assert await shelf(databases, SOCKS) == {SOCKS: 5}  # 8 counted, 3 of them sold since


async def test_stock_below_the_units_checkouts_hold_is_refused(databases):
    await stock(databases, socks=10)
    await reserve(databases, 1, take(SOCKS, 3))

    with pytest.raises(Conflict, match="3 units are held by checkouts in progress"):
        await stock(databases, socks=2)

    assert await shelf(databases, SOCKS) == {SOCKS: 7}
    await stock(databases, socks=3)  # exactly what is held: nothing left on the shelf
    assert await shelf(databases, SOCKS) == {SOCKS: 0}


async def test_units_set_aside_for_a_live_deal_count_as_on_hand(databases):
    await stock(databases, socks=10)
    await open_deal_pool(databases, socks=4)
    await reserve(databases, 9, take(SOCKS, 1, pool="deal:1"))
    assert await on_hand(databases) == 10

    await stock(databases, socks=12)
    async with databases.session(CELL) as s:
        await inventory.close_pool(s, market="US", pool="deal:1")
    await expire_all(databases)

    assert await shelf(databases, SOCKS) == {SOCKS: 12}
    assert await on_hand(databases) == 12
