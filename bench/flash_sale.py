"""Flash sale: N buyers race for one SKU through the real HTTP API.

Starts Shoptide under uvicorn (one worker) on PostgreSQL and on SQLite, seeds one SKU with
`--stock` units and `--buyers` shoppers, then fires every buyer at once (at most
`--concurrency` in flight): each puts one unit in the cart and checks out. Prints paid
orders per second (median of `--runs` runs), checkout latency, the status counts and an
oversell check read back from the database, side by side with ratios.

    .venv/bin/python bench/flash_sale.py                       # both databases, 3 runs each
    .venv/bin/python bench/flash_sale.py --db postgres --runs 1 --buyers 500

Client and server share this machine's cores; see bench/README.md for how to read that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, insert, select

from common import fmt, pct, process_cpu, progress, uvicorn_server
from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import ApiToken, User
from shoptide.accounts.service import TOKEN_PREFIX, Passwords
from shoptide.catalog import flows as catalog_flows
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category
from shoptide.catalog.schemas import PriceIn, ProductCreate, VariantIn
from shoptide.checkout.models import Checkout
from shoptide.db import Databases, upgrade_all, utcnow
from shoptide.inventory.models import Reservation, Stock
from shoptide.markets import service as markets_service
from shoptide.orders.models import Order, OrderLine
from shoptide.settings import DEFAULT_CELL, GLOBAL_CELL, Settings
from shoptide.shops import service as shops_service

ROOT = Path(__file__).resolve().parents[1]
PG_HOST = os.environ.get("SHOPTIDE_BENCH_PG_HOST", "127.0.0.1")
PG_DATABASES = {GLOBAL_CELL: "shoptide_bench_global", DEFAULT_CELL: "shoptide_bench_main"}
# notes/limits.md, pgbench on this kind of machine: hot-row decrement + order insert, 1 client
RAW_CEILING_TPS = 2170
SKU = "FLASH-1"
PRICE_MINOR = 1999
CARD = "4242424242424242"
ADDRESS = {
    "full_name": "Ada Shopper",
    "line1": "1 Main Street",
    "city": "Springfield",
    "postal_code": "12345",
    "phone": "+1 555 0100",
}


# --- databases and seed data ------------------------------------------------------------


def bench_settings(backend: str, data_dir: Path) -> Settings:
    cell_urls = (
        {cell: f"postgresql+asyncpg://postgres@{PG_HOST}/{db}" for cell, db in PG_DATABASES.items()}
        if backend == "postgres"
        else {}
    )
    return Settings(
        data_dir=data_dir,
        cell_urls=cell_urls,
        market_cells={},
        password_time_cost=1,
        password_memory_cost_kib=64,
        embedded_dispatcher=True,
        secret_key="bench-secret",
    )


def server_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")}
    env.update(
        SHOPTIDE_DATA_DIR=str(settings.data_dir),
        SHOPTIDE_PASSWORD_TIME_COST=str(settings.password_time_cost),
        SHOPTIDE_PASSWORD_MEMORY_COST_KIB=str(settings.password_memory_cost_kib),
        SHOPTIDE_EMBEDDED_DISPATCHER=str(settings.embedded_dispatcher).lower(),
        SHOPTIDE_SECRET_KEY=settings.secret_key,
        SHOPTIDE_COOKIE_SECURE="false",  # plain http on 127.0.0.1
    )
    if settings.cell_urls:
        env["SHOPTIDE_CELL_URLS"] = json.dumps(settings.cell_urls)
    return env


async def recreate_pg_databases() -> None:
    conn = await asyncpg.connect(host=PG_HOST, user="postgres", database="test")
    try:
        for name in PG_DATABASES.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def seed(databases: Databases, *, stock: int, buyers: int) -> list[str]:
    """Markets, a merchant's shop, one published SKU with `stock` units in US, and
    `buyers` US shoppers; returns one bearer token per shopper."""
    passwords = Passwords(databases.settings)
    async with databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
        session.add(Category(slug="flash", name="Flash"))
        merchant = await accounts_service.create(
            session,
            email="merchant@example.com",
            password="correct horse battery",
            display_name="Merchant",
            role="merchant",
            passwords=passwords,
        )
        shop = await shops_service.create(
            session, name="Flash Shop", home_market="US", owner_id=merchant.id
        )
    data = ProductCreate(
        title="Limited sneaker",
        category="flash",
        variants=[
            VariantIn(
                sku=SKU,
                size="42",
                prices=[PriceIn(market="US", amount="19.99", currency="USD")],
                stock={"US": stock},
            )
        ],
    )
    product = await catalog_flows.create_with_stock(databases, shop_id=shop.id, data=data)
    async with databases.session(GLOBAL_CELL) as session:
        loaded = await catalog_service.get_for_shop(session, product.id, shop_id=shop.id)
        await catalog_service.set_status(session, loaded, status="published")

    # Shoppers in bulk: one password hash for all, tokens shaped like issue_token's.
    password_hash = passwords.hash("correct horse battery")
    now = utcnow()
    async with databases.session(DEFAULT_CELL) as session:
        await session.execute(
            insert(User),
            [
                {
                    "email": f"buyer{i}@example.com",
                    "password_hash": password_hash,
                    "display_name": f"buyer{i}",
                    "role": "shopper",
                    "market_code": "US",
                    "is_active": True,
                    "created_at": now,
                }
                for i in range(buyers)
            ],
        )
        ids = dict(
            (await session.execute(select(User.email, User.id).where(User.role == "shopper"))).all()
        )
        tokens = [
            f"{TOKEN_PREFIX}_{DEFAULT_CELL}_{secrets.token_urlsafe(32)}" for _ in range(buyers)
        ]
        await session.execute(
            insert(ApiToken),
            [
                {
                    "user_id": ids[f"buyer{i}@example.com"],
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "created_at": now,
                    "expires_at": now + databases.settings.api_token_lifetime,
                }
                for i, token in enumerate(tokens)
            ],
        )
    return tokens


@dataclass
class Ledger:
    paid_checkouts: int
    paid_orders: int
    paid_units: int
    stock_left: int
    reserved: int

    def oversold(self, stock: int, lowest_seen: int, paid_201: int) -> list[str]:
        """Safety: no unit sold twice, none lost, and the API told the truth."""
        problems = []
        if self.paid_units > stock:
            problems.append(f"{self.paid_units} units sold of {stock}")
        if self.paid_units + self.stock_left + self.reserved != stock:
            problems.append(
                f"{self.paid_units} sold + {self.stock_left} on the shelf"
                f" + {self.reserved} reserved != {stock}"
            )
        if lowest_seen < 0 or self.stock_left < 0:
            problems.append(f"stock went negative ({min(lowest_seen, self.stock_left)})")
        if self.paid_orders != self.paid_units:
            problems.append(f"{self.paid_orders} paid orders for {self.paid_units} units")
        if paid_201 != self.paid_checkouts:
            problems.append(f"{paid_201} HTTP 201s but {self.paid_checkouts} paid checkouts")
        return problems

    def unsold(self, stock: int) -> str:
        """Liveness: every unit should have been sold to one of the buyers."""
        if self.paid_orders == stock and self.stock_left == 0:
            return ""
        return f"{self.paid_orders} of {stock} sold, stock row reads {self.stock_left}"


async def stock_level(databases: Databases) -> int:
    async with databases.session(DEFAULT_CELL, write=False) as session:
        return int(await session.scalar(select(Stock.available)) or 0)


async def read_ledger(databases: Databases) -> Ledger:
    async with databases.session(DEFAULT_CELL, write=False) as s:
        paid = Order.status == "paid"
        return Ledger(
            paid_checkouts=await s.scalar(
                select(func.count()).select_from(Checkout).where(Checkout.status == "paid")
            ),
            paid_orders=await s.scalar(select(func.count()).select_from(Order).where(paid)),
            paid_units=int(
                await s.scalar(
                    select(func.coalesce(func.sum(OrderLine.quantity), 0))
                    .join(Order, Order.id == OrderLine.order_id)
                    .where(paid)
                )
            ),
            stock_left=await stock_level(databases),
            reserved=int(await s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)))),
        )


# --- the server -------------------------------------------------------------------------


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server, this client, PostgreSQL's processes (when it
    runs on this machine) and the whole machine, from /proc."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(f) for f in fields[:8]) - int(fields[3]) - int(fields[4])
    postgres = sum(
        process_cpu(int(p.name))
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _comm(p).startswith("postgres")
    )
    return {
        "server": process_cpu(server_pid),
        "client": time.process_time(),
        "PostgreSQL": postgres,
        "machine": busy / os.sysconf("SC_CLK_TCK"),
    }


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text()
    except OSError:
        return ""


@contextlib.asynccontextmanager
async def server(settings: Settings, log_path: Path) -> AsyncIterator[tuple[str, int]]:
    """uvicorn with one worker; yields (base URL, pid) once /api/v1/markets answers."""
    options = ["--timeout-keep-alive", "120"]  # idle keep-alive closes race the client under load
    env = server_env(settings)
    async with uvicorn_server(options, env=env, cwd=settings.data_dir, log_path=log_path) as up:
        address, pid = up
        yield f"http://{address}", pid


# --- the buyers -------------------------------------------------------------------------


@dataclass
class Run:
    backend: str
    wall_s: float = 0.0
    sold_out_s: float = 0.0  # burst start to the last 201
    cart_ms: list[float] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)
    paid_ms: list[float] = field(default_factory=list)
    cart_status: Counter[str] = field(default_factory=Counter)
    checkout_status: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lowest_stock: int = 0
    problems: list[str] = field(default_factory=list)
    ledger: Ledger | None = None
    cpu_s: dict[str, float] = field(default_factory=dict)
    unsold: str = ""

    @property
    def paid(self) -> int:
        return self.checkout_status["201"]

    @property
    def paid_per_s(self) -> float:
        return self.paid / self.wall_s if self.wall_s else 0.0


async def buyer(client: httpx.AsyncClient, token: str, n: int, t0: float, run: Run) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    try:
        start = time.perf_counter()
        added = await client.post(
            "/api/v1/cart/items", json={"sku": SKU, "quantity": 1}, headers=auth
        )
        run.cart_ms.append((time.perf_counter() - start) * 1000)
        run.cart_status[str(added.status_code)] += 1
        if added.status_code != 200:
            if added.status_code != 409:
                run.errors.append(f"cart {added.status_code}: {added.text[:300]}")
            return
        start = time.perf_counter()
        paid = await client.post(
            "/api/v1/checkout",
            json={"address": ADDRESS, "card_number": CARD},
            headers={**auth, "Idempotency-Key": f"flash-sale-{n:08d}"},
        )
        end = time.perf_counter()
        run.checkout_ms.append((end - start) * 1000)
        run.checkout_status[str(paid.status_code)] += 1
        if paid.status_code == 201:
            run.paid_ms.append((end - start) * 1000)
            run.sold_out_s = max(run.sold_out_s, end - t0)
        elif paid.status_code != 409:
            run.errors.append(f"checkout {paid.status_code}: {paid.text[:300]}")
    except httpx.HTTPError as exc:
        run.cart_status[type(exc).__name__] += 1
        run.errors.append(f"{type(exc).__name__}: {exc}")


async def watch_stock(databases: Databases, run: Run, done: asyncio.Event) -> None:
    """Samples the stock row while the sale runs; it must never read below zero."""
    while not done.is_set():
        run.lowest_stock = min(run.lowest_stock, await stock_level(databases))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.1)


async def report_progress(run: Run, buyers: int, done: asyncio.Event) -> None:
    while not done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 1.0)
        finished = sum(run.cart_status.values()) - run.cart_status["200"]
        finished += sum(run.checkout_status.values())
        progress(f"    {finished}/{buyers} buyers done, {run.paid} paid")


async def burst(base: str, tokens: list[str], concurrency: int, run: Run, pid: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def gated(n: int, token: str) -> None:
        async with gate:
            await buyer(client, token, n, t0, run)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        before = cpu_snapshot(pid)
        t0 = time.perf_counter()
        await asyncio.gather(*(gated(n, token) for n, token in enumerate(tokens)))
        run.wall_s = time.perf_counter() - t0
        run.cpu_s = {k: v - before[k] for k, v in cpu_snapshot(pid).items()}


async def one_run(backend: str, args: argparse.Namespace, index: int, work: Path) -> Run:
    label = f"{backend} run {index + 1}/{args.runs}"
    data_dir = work / f"{backend}-{index + 1}"
    data_dir.mkdir(parents=True)
    settings = bench_settings(backend, data_dir)
    progress(f"{label}: fresh databases, migrations")
    if backend == "postgres":
        await recreate_pg_databases()
    await asyncio.to_thread(upgrade_all, settings)
    databases = Databases(settings)
    run = Run(backend)
    try:
        progress(f"{label}: seeding {args.stock} units and {args.buyers} shoppers")
        tokens = await seed(databases, stock=args.stock, buyers=args.buyers)
        run.lowest_stock = args.stock
        log_path = work / f"server-{backend}-{index + 1}.log"
        async with server(settings, log_path) as (base, pid):
            progress(f"{label}: server up at {base}, {args.buyers} buyers go")
            done = asyncio.Event()
            watchers = [
                asyncio.create_task(watch_stock(databases, run, done)),
                asyncio.create_task(report_progress(run, args.buyers, done)),
            ]
            try:
                await burst(base, tokens, args.concurrency, run, pid)
            finally:
                done.set()
                await asyncio.gather(*watchers)
        run.ledger = await read_ledger(databases)
        run.problems = run.ledger.oversold(args.stock, run.lowest_stock, run.paid)
        run.unsold = run.ledger.unsold(args.stock)
        progress(
            f"{label}: {run.paid} paid in {run.wall_s:.2f} s = {run.paid_per_s:,.0f} paid/s; "
            f"cart {dict(run.cart_status)}, checkout {dict(run.checkout_status)}; "
            f"oversell check {'FAILED: ' + '; '.join(run.problems) if run.problems else 'ok'}; "
            f"sold out: {run.unsold or 'yes'}"
        )
        if run.errors:
            progress(f"{label}: {len(run.errors)} unexpected responses, first: {run.errors[0]}")
            progress(f"{label}: server log kept at {log_path}")
    finally:
        await databases.dispose()
    return run


# --- the report -------------------------------------------------------------------------


def summarise(runs: list[Run]) -> dict[str, float | str]:
    median_run = sorted(runs, key=lambda r: r.paid_per_s)[len(runs) // 2]
    pooled = {k: [x for r in runs for x in getattr(r, k)] for k in ("cart_ms", "checkout_ms")}
    paid = [x for r in runs for x in r.paid_ms]
    cart, checkout = Counter[str](), Counter[str]()
    for r in runs:
        cart.update(r.cart_status)
        checkout.update(r.checkout_status)
    problems = sorted({p for r in runs for p in r.problems})
    unsold = [r.unsold for r in runs if r.unsold]
    cpu = {f"{k} CPU, cores busy": v / median_run.wall_s for k, v in median_run.cpu_s.items()}
    return {
        "paid orders/s (median)": statistics.median(r.paid_per_s for r in runs),
        "  each run": "  ".join(f"{r.paid_per_s:,.0f}" for r in runs),
        "sell-out time, s (median)": statistics.median(r.sold_out_s for r in runs),
        "burst wall time, s (median)": statistics.median(r.wall_s for r in runs),
        "checkout p50, ms": pct(pooled["checkout_ms"], 50),
        "checkout p99, ms": pct(pooled["checkout_ms"], 99),
        "paid checkout p50, ms": pct(paid, 50),
        "paid checkout p99, ms": pct(paid, 99),
        "cart-add p50, ms": pct(pooled["cart_ms"], 50),
        "cart-add p99, ms": pct(pooled["cart_ms"], 99),
        "cart-add 200 / 409 / other": _counts(cart, "200", "409"),
        "checkout 201 / 409 / other": _counts(checkout, "201", "409"),
        **cpu,
        "oversell check": "FAILED: " + "; ".join(problems) if problems else "ok",
        "every unit sold": f"no, {len(unsold)} runs: " + "; ".join(unsold) if unsold else "yes",
    }


def _counts(counter: Counter[str], *expected: str) -> str:
    other = sum(v for k, v in counter.items() if k not in expected)
    return " / ".join([*(str(counter[k]) for k in expected), str(other)])


def print_table(results: dict[str, dict[str, float | str]], args: argparse.Namespace) -> None:
    names = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
    backends = list(results)
    rows = list(next(iter(results.values())))
    both = len(backends) == 2
    width = max(len(r) for r in rows) + 2
    print(
        f"\nflash sale: {args.buyers:,} buyers, {args.stock:,} in stock, "
        f"{args.concurrency} in flight, {args.runs} runs per database"
    )
    print("latency percentiles pooled over all runs; CPU from the median run (2 cores here)")
    header = f"{'':<{width}}" + "".join(f"{names[b]:>14}" for b in backends)
    print(header + (f"{'PG / SQLite':>13}" if both else ""))
    for row in rows:
        cells = [results[b][row] for b in backends]
        if any(isinstance(c, str) and len(c) > 13 for c in cells):
            for b, c in zip(backends, cells, strict=True):
                print(f"{row:<{width}}{names[b]}: {fmt(c)}")
            continue
        line = f"{row:<{width}}" + "".join(f"{fmt(c):>14}" for c in cells)
        if both and all(isinstance(c, float) for c in cells) and cells[1]:
            line += f"{cells[0] / cells[1]:>12.2f}x"  # type: ignore[operator]
        print(line)
    print(
        f"\nreference: hot-row decrement + order insert, pgbench 1 client ≈ {RAW_CEILING_TPS:,} TPS"
    )
    for b in backends:
        rate = results[b]["paid orders/s (median)"]
        assert isinstance(rate, float)
        print(
            f"  {names[b]:<11} {rate:>8,.0f} paid/s = {rate / RAW_CEILING_TPS:.1%} of that ceiling"
        )


async def main(args: argparse.Namespace) -> int:
    # SIGTERM (e.g. from `timeout`) cancels the run, so the server is stopped on the way out
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    backends = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, float | str]] = {}
    failed = False
    work = Path(tempfile.mkdtemp(prefix="shoptide-flash-"))
    progress(f"work dir (data and server logs) {work}")
    for backend in backends:
        runs = [await one_run(backend, args, i, work) for i in range(args.runs)]
        failed |= any(r.problems or r.errors for r in runs)
        results[backend] = summarise(runs)
    if failed or args.keep:
        progress(f"kept {work}")
    else:
        shutil.rmtree(work)
    print_table(results, args)
    return 1 if failed else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--stock", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=200, help="requests in flight")
    parser.add_argument("--db", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep data dirs and server logs (kept anyway on failure)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except asyncio.CancelledError:
        progress("stopped by SIGTERM; server shut down")
        sys.exit(143)
