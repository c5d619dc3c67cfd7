"""Settlement: how fast the settlement job settles N commission lines whose return window
has passed, against a bare UPDATE of the same rows.

For each database (PostgreSQL, SQLite) the script seeds a template once: fresh databases,
the migrations, and --lines pending commissions over 10,000 creators and 500 shops, all due
(1 in 20 partly reversed by a refund), bulk-inserted (PostgreSQL: COPY; SQLite: executemany;
not timed). Then, --runs times, on a fresh copy of the template each time:

- **settle_due**: `shoptide.affiliate.payouts.flows.settle_due` as the background sweep runs
  it: batches of --batch lines, each a conditional UPDATE ... RETURNING the claimed ids,
  then one INSERT ... SELECT of the ledger transactions (two entries per line) and one of
  the CommissionSettled outbox events (one per line), a commit per batch. Checked
  afterwards: every line settled, 2 entries and 1 event per line, the books balance;
- **bare UPDATE** (the baseline): `UPDATE commission SET status='settled', settled_at=:now
  WHERE status='pending'` in one statement: the same rows change state, without books,
  events or batches.

It prints lines settled per second (median of the runs; each run's figure too) side by side,
and the ratio of the two (what the books and events cost).

    .venv/bin/python bench/settlement.py                         # 1,000,000 lines, both DBs
    .venv/bin/python bench/settlement.py --backend sqlite --lines 100000 --runs 1

Don't run two at once, nor while the PostgreSQL tests run: it uses the PostgreSQL server at
127.0.0.1 (trust auth) and its own databases shoptide_bench_settle_*.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, select, text

from common import fmt, progress
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts import flows as settlement
from shoptide.affiliate.payouts.service import SETTLE_BATCH
from shoptide.db import Databases, upgrade_all
from shoptide.events import OutboxEvent
from shoptide.ledger.models import LedgerEntry
from shoptide.settings import DEFAULT_CELL, GLOBAL_CELL, Settings

PG_HOST = os.environ.get("SHOPTIDE_BENCH_PG_HOST", "127.0.0.1")
PG_PREFIX = "shoptide_bench_settle"
CREATORS, SHOPS = 10_000, 500
CHUNK = 50_000  # rows per INSERT executemany while seeding SQLite
NAMES = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


# --- databases ----------------------------------------------------------------------------


def pg_name(cell: str, *, template: bool = False) -> str:
    return f"{PG_PREFIX}_{cell}{'_template' if template else ''}"


def bench_settings(backend: str, data_dir: Path, *, template: bool = False) -> Settings:
    cell_urls = (
        {
            cell: f"postgresql+asyncpg://postgres@{PG_HOST}/{pg_name(cell, template=template)}"
            for cell in (GLOBAL_CELL, DEFAULT_CELL)
        }
        if backend == "postgres"
        else {}
    )
    return Settings(data_dir=data_dir, cell_urls=cell_urls, market_cells={})


async def pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(host=PG_HOST, user="postgres", database="test")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def drop_pg_databases() -> None:
    await pg_admin(
        *(
            f'DROP DATABASE IF EXISTS "{pg_name(cell, template=template)}" WITH (FORCE)'
            for cell in (GLOBAL_CELL, DEFAULT_CELL)
            for template in (False, True)
        )
    )


def commission_rows(lines: int, settle_after: datetime) -> list[tuple[object, ...]]:
    """Pending commissions due for settlement: 10% of the line, 1 in 20 partly reversed."""
    rows = []
    for n in range(1, lines + 1):
        base = 1_000 + (n * 7919) % 50_000
        amount = (base * 1000 + 5000) // 10000
        reversed_minor = amount // 2 if n % 20 == 0 else 0
        rows.append(
            (
                n,  # order_id
                n,  # order_line_id
                1 + n % CREATORS,
                1 + n % SHOPS,
                1 + n % 5_000,  # product_id
                "US",
                "USD",
                "video",
                base,
                1000,
                amount,
                base // 2 if reversed_minor else 0,  # refunded_minor
                reversed_minor,
                "pending",
                settle_after - timedelta(days=20),  # accrued_at
                settle_after,
            )
        )
    return rows


COLUMNS = (
    "order_id",
    "order_line_id",
    "creator_id",
    "shop_id",
    "product_id",
    "market_code",
    "currency",
    "source_kind",
    "base_minor",
    "rate_bp",
    "amount_minor",
    "refunded_minor",
    "reversed_minor",
    "status",
    "accrued_at",
    "settle_after",
)


async def seed_template(backend: str, work: Path, lines: int) -> Settings:
    """Migrated databases holding `lines` due commissions: each run starts from a copy."""
    if backend == "postgres":
        await drop_pg_databases()
        await pg_admin(
            *(
                f'CREATE DATABASE "{pg_name(cell, template=True)}"'
                for cell in (GLOBAL_CELL, DEFAULT_CELL)
            )
        )
    settings = bench_settings(backend, work / "template", template=True)
    await asyncio.to_thread(upgrade_all, settings)
    rows = commission_rows(lines, datetime.now(UTC) - timedelta(days=1))
    start = time.perf_counter()
    if backend == "postgres":
        url = settings.database_url(DEFAULT_CELL).replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(url)
        try:
            await conn.copy_records_to_table("commission", records=rows, columns=COLUMNS)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
    else:
        databases = Databases(settings)
        try:
            for i in range(0, len(rows), CHUNK):
                async with databases.session(DEFAULT_CELL) as session:
                    await session.execute(
                        insert(Commission.__table__),
                        [dict(zip(COLUMNS, row, strict=True)) for row in rows[i : i + CHUNK]],
                    )
            async with databases.session(DEFAULT_CELL) as session:
                await session.execute(text("ANALYZE"))
        finally:
            await databases.dispose()  # no connection left open: the files copy whole
    progress(f"  seeded {lines:,} due commissions in {time.perf_counter() - start:.1f} s")
    return settings


async def fresh_copy(backend: str, template: Settings, target: Path) -> Settings:
    """A copy of the template to run on (PostgreSQL: CREATE DATABASE ... TEMPLATE)."""
    settings = bench_settings(backend, target)
    if backend == "postgres":
        cells = (GLOBAL_CELL, DEFAULT_CELL)
        await pg_admin(
            *(f'DROP DATABASE IF EXISTS "{pg_name(cell)}" WITH (FORCE)' for cell in cells),
            *(
                f'CREATE DATABASE "{pg_name(cell)}" TEMPLATE "{pg_name(cell, template=True)}"'
                for cell in cells
            ),
        )
    else:
        await asyncio.to_thread(replace_tree, template.data_dir, target)
    return settings


def replace_tree(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)


# --- the two ways to settle ------------------------------------------------------------------


async def time_settle_due(settings: Settings, lines: int, batch: int) -> tuple[float, list[str]]:
    databases = Databases(settings)
    try:
        start = time.perf_counter()
        settled = await settlement.settle_due(databases, batch=batch)
        elapsed = time.perf_counter() - start
        return elapsed, await check_books(databases, lines, settled)
    finally:
        await databases.dispose()


async def check_books(databases: Databases, lines: int, settled: int) -> list[str]:
    problems = []
    async with databases.session(DEFAULT_CELL, write=False) as s:
        entries = await s.scalar(select(func.count()).select_from(LedgerEntry))
        balance = await s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)))
        settled_events = await s.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "CommissionSettled")
        )
        pending = await s.scalar(
            select(func.count()).select_from(Commission).where(Commission.status == "pending")
        )
    if settled != lines or pending:
        problems.append(f"settled {settled:,} of {lines:,}; {pending:,} still pending")
    if entries != 2 * lines:
        problems.append(f"{entries:,} ledger entries for {lines:,} lines (expected 2 each)")
    if balance != 0:
        problems.append(f"the books are off by {balance}")
    if settled_events != lines:
        problems.append(f"{settled_events:,} CommissionSettled events for {lines:,} lines")
    return problems


async def time_bare_update(settings: Settings, lines: int) -> tuple[float, list[str]]:
    databases = Databases(settings)
    try:
        start = time.perf_counter()
        async with databases.session(DEFAULT_CELL) as session:
            changed = await session.execute(
                text(
                    "UPDATE commission SET status = 'settled', settled_at = :now"
                    " WHERE status = 'pending'"
                ),
                {"now": datetime.now(UTC)},
            )
            count = changed.rowcount
        elapsed = time.perf_counter() - start
    finally:
        await databases.dispose()
    return elapsed, [] if count == lines else [f"bare UPDATE changed {count:,} of {lines:,}"]


# --- runs and the table -------------------------------------------------------------------------


async def measure(backend: str, args: argparse.Namespace, work: Path) -> dict[str, list[float]]:
    progress(f"{NAMES[backend]}: seeding the template")
    template = await seed_template(backend, work, args.lines)
    seconds: dict[str, list[float]] = {"settle_due": [], "bare UPDATE": []}
    for run in range(1, args.runs + 1):
        copy = await fresh_copy(backend, template, work / "run")
        elapsed, problems = await time_settle_due(copy, args.lines, args.batch)
        seconds["settle_due"].append(elapsed)
        progress(f"  run {run}: settle_due {elapsed:.1f} s")
        if problems:
            raise SystemExit(f"{NAMES[backend]} settle_due: {'; '.join(problems)}")
        copy = await fresh_copy(backend, template, work / "run")
        elapsed, problems = await time_bare_update(copy, args.lines)
        seconds["bare UPDATE"].append(elapsed)
        progress(f"  run {run}: bare UPDATE {elapsed:.1f} s")
        if problems:
            raise SystemExit(f"{NAMES[backend]} bare UPDATE: {'; '.join(problems)}")
    if backend == "postgres" and not args.keep:
        await drop_pg_databases()
    return seconds


def print_table(results: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    backends = list(results)
    both = len(backends) == 2
    print(
        f"\nsettlement: {args.lines:,} due lines, batches of {args.batch:,}, "
        f"{args.runs} run(s) per database, fresh data each run"
    )
    print("lines settled per second, median (each run's)")
    width = 30
    header = f"{'':<{width}}" + "".join(f"{NAMES[b]:>26}" for b in backends)
    print(header + (f"{'PG / SQLite':>13}" if both else ""))
    medians: dict[str, dict[str, float]] = {b: {} for b in backends}
    for way in ("settle_due", "bare UPDATE"):
        cells = []
        for b in backends:
            rates = [args.lines / s for s in results[b][way]]
            medians[b][way] = statistics.median(rates)
            runs = ", ".join(fmt(r) for r in rates)
            cells.append(f"{fmt(medians[b][way])} ({runs})" if len(rates) > 1 else fmt(rates[0]))
        line = f"{way + ' lines/s':<{width}}" + "".join(f"{c:>26}" for c in cells)
        if both:
            line += f"{medians[backends[0]][way] / medians[backends[1]][way]:>12.2f}x"
        print(line)
    line = f"{'bare UPDATE / settle_due':<{width}}" + "".join(
        f"{medians[b]['bare UPDATE'] / medians[b]['settle_due']:>25.1f}x" for b in backends
    )
    print(line)
    for b in backends:
        seconds = statistics.median(results[b]["settle_due"])
        print(f"  {NAMES[b]}: settle_due took {seconds:.1f} s (median) for {args.lines:,} lines")


async def main(args: argparse.Namespace) -> int:
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="shoptide-settle-"))
    progress(f"work dir {work}")
    try:
        results = {backend: await measure(backend, args, work) for backend in backends}
    finally:
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=SETTLE_BATCH)
    parser.add_argument("--backend", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument(
        "--keep", action="store_true", help="keep the SQLite files and PostgreSQL databases"
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
