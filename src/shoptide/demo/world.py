"""The demo world's fixed names and sizes, what a load reports, and the rows it queues for
bulk inserts with ids it hands out itself (after reading max(id)), which keeps a full load
to seconds on SQLite."""

import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

import shoptide.models  # noqa: F401  (every table known to Base.metadata.sorted_tables)
from shoptide.db import Base

DEMO_PASSWORD = "shoptide-demo"
DEMO_MERCHANT = "merchant@shoptide.test"
DEMO_STAFF = "staff@shoptide.test"
DEMO_OPERATOR = "operator@shoptide.test"
DEMO_SHOP = "Tidewater Goods"
ORDER_DAYS = 90
SHOPPERS = 3000
CHECKOUTS_PER_SHOPPER = 1.8
DEMO_SHOPPER_CHECKOUTS = 6
CHUNK = 5000

Row = dict[str, Any]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    cell: str
    note: str


@dataclass
class DemoSummary:
    markets: int = 0
    shops: int = 0
    brands: int = 0
    products: int = 0
    variants: int = 0
    listings: int = 0
    images: int = 0
    shoppers: int = 0
    orders: int = 0
    live_rooms: int = 0
    videos: int = 0
    creators: int = 0
    commissions: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def table_of(model: type[Base]) -> Table:
    """The model's Table (declarative types `__table__` as any FromClause)."""
    return cast(Table, model.__table__)


class Rows:
    """Rows to insert per table, with the ids we hand out ourselves."""

    def __init__(self, next_ids: dict[Table, int]) -> None:
        self._next = dict(next_ids)
        self.by_table: dict[Table, list[Row]] = defaultdict(list)

    def add(self, model: type[Base], **values: Any) -> Row:
        """Queue one row; returns it, id included (later tweaks still reach the insert)."""
        table = table_of(model)
        values["id"] = self._next[table]
        self._next[table] += 1
        self.by_table[table].append(values)
        return values


def fill(pattern: str, rng: random.Random) -> str:
    """'10###' -> '10482'; '@' draws a capital letter."""
    return "".join(
        str(rng.randint(0, 9)) if ch == "#" else chr(rng.randint(65, 90)) if ch == "@" else ch
        for ch in pattern
    )


def ascii_slug(value: str, sep: str = "-") -> str:
    plain = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return sep.join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def id_seed(*parts: int) -> int:
    """A stable seed from ids (hash() of a tuple would do, but only within one process)."""
    seed = 17
    for part in parts:
        seed = seed * 1_000_003 + part
    return seed


async def next_ids(session: AsyncSession, models: Sequence[type[Base]]) -> dict[Table, int]:
    tables = [table_of(model) for model in models]
    return {
        t: (await session.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
        for t in tables
    }


async def insert_rows(session: AsyncSession, rows: Rows) -> None:
    """Bulk inserts in dependency order; PostgreSQL sequences are moved past our ids."""
    dialect = (await session.connection()).dialect.name
    for table in Base.metadata.sorted_tables:
        batch = rows.by_table.get(table)
        if not batch:
            continue
        for start in range(0, len(batch), CHUNK):
            await session.execute(insert(table), batch[start : start + CHUNK])
        if dialect == "postgresql":
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )
