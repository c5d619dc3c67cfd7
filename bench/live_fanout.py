"""Live room fan-out: one room, N WebSocket viewers, a host commenting at a set rate.

For each viewer count and each mode the script seeds a fresh SQLite data dir (markets, a
merchant's shop with one product, one room on air), starts the app under uvicorn, and:

- embedded: one app process, in-memory hub;
- redis: two app processes sharing the room through Redis pub/sub (viewers split evenly,
  the host on the first), with a channel prefix of the run's own.

Viewers connect from `--clients` client processes (the `websockets` library, signed out,
at most 100 handshakes in flight per process) and wait for their snapshot. Then the host's
socket sends `--rate` comments a second for `--seconds` seconds; each comment carries its
send time, so a viewer's delivery latency is receive time minus send time (same clock,
one machine). A comment is stored (SQLite) and published after commit, as in production.

Prints per mode, side by side with a redis/embedded ratio: deliveries per second (comment
messages received by all viewers / the sending window), delivered share, latency p50/p99,
join time, and CPU (cores busy) of the app processes, redis-server, the clients and the
whole machine during the window, from /proc. Median of `--runs` runs.

    .venv/bin/python bench/live_fanout.py                          # 1,000 and 5,000 viewers
    .venv/bin/python bench/live_fanout.py --viewers 1000 --runs 1 --mode embedded
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from common import fmt, pct, process_cpu, progress, uvicorn_server
from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.catalog import flows as catalog_flows
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category
from shoptide.catalog.schemas import PriceIn, ProductCreate, VariantIn
from shoptide.db import Databases, upgrade_all, utcnow
from shoptide.live import rooms
from shoptide.markets import service as markets_service
from shoptide.settings import DEFAULT_CELL, GLOBAL_CELL, Settings
from shoptide.shops import service as shops_service

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("SHOPTIDE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
HOST_EMAIL = "host@example.com"
PASSWORD = "correct horse battery"
HANDSHAKES_IN_FLIGHT = 100
SENT_AT = re.compile(r"t=(\d+\.\d+)")


# --- seed data and servers ----------------------------------------------------------------


def bench_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        password_time_cost=1,
        password_memory_cost_kib=64,
        secret_key="bench-secret",
    )


async def seed(settings: Settings) -> str:
    """Markets, a merchant's shop with one product, and a room on air; returns its name."""
    await asyncio.to_thread(upgrade_all, settings)
    databases = Databases(settings)
    try:
        async with databases.session(GLOBAL_CELL) as session:
            await markets_service.ensure_defaults(session)
            session.add(Category(slug="live", name="Live"))
            host = await accounts_service.create(
                session,
                email=HOST_EMAIL,
                password=PASSWORD,
                display_name="Host",
                role="merchant",
                passwords=Passwords(settings),
            )
            shop = await shops_service.create(
                session, name="Bench Shop", home_market="US", owner_id=host.id
            )
        data = ProductCreate(
            title="Lipstick",
            category="live",
            variants=[
                VariantIn(
                    sku="LIVE-1",
                    prices=[PriceIn(market="US", amount="9.99", currency="USD")],
                    stock={"US": 100},
                )
            ],
        )
        product = await catalog_flows.create_with_stock(databases, shop_id=shop.id, data=data)
        async with databases.session(GLOBAL_CELL) as global_:
            loaded = await catalog_service.get_for_shop(global_, product.id, shop_id=shop.id)
            await catalog_service.set_status(global_, loaded, status="published")
            async with databases.session(DEFAULT_CELL) as cell:
                room, key = await rooms.schedule(
                    cell,
                    global_,
                    host_user_id=host.id,
                    shop_id=shop.id,
                    market="US",
                    title="Bench live",
                    scheduled_at=utcnow(),
                    product_ids=[product.id],
                )
                await rooms.begin_publishing(cell, public_name=room.public_name, key=key)
        return room.public_name
    finally:
        await databases.dispose()


def server_env(settings: Settings, redis_prefix: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")}
    env.update(
        SHOPTIDE_DATA_DIR=str(settings.data_dir),
        SHOPTIDE_PASSWORD_TIME_COST="1",
        SHOPTIDE_PASSWORD_MEMORY_COST_KIB="64",
        SHOPTIDE_SECRET_KEY=settings.secret_key,
        SHOPTIDE_COOKIE_SECURE="false",  # plain http on 127.0.0.1
        SHOPTIDE_LIVE_HLS_URL="",
    )
    if redis_prefix is not None:
        env.update(SHOPTIDE_LIVE_REDIS_URL=REDIS_URL, SHOPTIDE_LIVE_REDIS_PREFIX=redis_prefix)
    return env


@contextlib.asynccontextmanager
async def server(env: dict[str, str], log_path: Path) -> AsyncIterator[tuple[str, int]]:
    """uvicorn, one worker; yields (host:port, pid) once it answers."""
    options = ["--log-level", "warning", "--backlog", "4096"]
    async with uvicorn_server(options, env=env, cwd=ROOT, log_path=log_path) as running:
        yield running


async def host_cookie(address: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        page = (await client.get("/signin")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        form = {"account": "business", "email": HOST_EMAIL, "password": PASSWORD}
        signed_in = await client.post("/signin", data=form | {"csrf_token": token.group(1)})
        assert signed_in.status_code == 303, signed_in.text
        return client.cookies["shoptide"]


# --- CPU from /proc -----------------------------------------------------------------------


def pids_named(name: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == name:
                found.append(int(proc.name))
    return found


def cpu_snapshot(servers: list[int], clients: list[int]) -> dict[str, float]:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(f) for f in fields[:8]) - int(fields[3]) - int(fields[4])
    return {
        "app processes": sum(process_cpu(pid) for pid in servers),
        "redis-server": sum(process_cpu(pid) for pid in pids_named("redis-server")),
        "client processes": sum(process_cpu(pid) for pid in clients) + time.process_time(),
        "machine": busy / os.sysconf("SC_CLK_TCK"),
    }


# --- viewers (client processes) -----------------------------------------------------------


@dataclass
class Tally:
    received: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failed: int = 0  # connections refused or closed by the server before the end


async def _watch(url: str, tally: Tally, joined: asyncio.Event, gate: asyncio.Semaphore) -> None:
    try:
        async with gate:
            socket = await connect(url, open_timeout=120, max_queue=None, compression=None)
        async with socket:
            await socket.recv()  # the snapshot
            joined.set()
            async for raw in socket:
                if '"type":"comment"' not in raw:
                    continue
                sent = SENT_AT.search(raw)
                if sent:
                    tally.received += 1
                    tally.latencies_ms.append((time.time() - float(sent.group(1))) * 1000)
    except asyncio.CancelledError:
        raise
    except Exception:
        tally.failed += 1
        joined.set()


async def _viewers(urls: list[str], ready: Any, stop: Event) -> Tally:
    tally = Tally()
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    joined = [asyncio.Event() for _ in urls]
    tasks = [
        asyncio.create_task(_watch(u, tally, j, gate)) for u, j in zip(urls, joined, strict=True)
    ]
    await asyncio.gather(*(j.wait() for j in joined))
    ready.put(os.getpid())
    await asyncio.to_thread(stop.wait)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return tally


def viewer_process(urls: list[str], ready: Any, stop: Event, results: Any) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tally = asyncio.run(_viewers(urls, ready, stop))
    results.put((tally.received, tally.latencies_ms, tally.failed))


# --- the host -----------------------------------------------------------------------------


async def _drain(host: ClientConnection) -> None:
    """The host's own socket must be read, or the server drops it as a slow consumer."""
    async for _ in host:
        pass


async def comment_at_rate(host: ClientConnection, rate: float, seconds: float) -> int:
    interval, sent = 1 / rate, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        body = f"t={time.time():.6f} n={sent}"
        await host.send(json.dumps({"type": "comment", "body": body}))
        sent += 1
        await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))
    return sent


# --- one run ------------------------------------------------------------------------------


@dataclass
class Run:
    mode: str
    viewers: int
    sent: int = 0
    received: int = 0
    failed: int = 0
    window_s: float = 0.0
    join_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def delivered_per_s(self) -> float:
        return self.received / self.window_s if self.window_s else 0.0


async def one_run(mode: str, viewers: int, args: argparse.Namespace, work: Path) -> Run:
    data_dir = work / f"{mode}-{viewers}-{uuid.uuid4().hex[:6]}"
    settings = bench_settings(data_dir)
    room = await seed(settings)
    prefix = f"bench-{uuid.uuid4().hex[:8]}:" if mode == "redis" else None
    env = server_env(settings, prefix)
    processes = 2 if mode == "redis" else 1
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(server(env, data_dir / f"server-{n}.log"))
            for n in range(processes)
        ]
        run = await _measure(mode, viewers, args, room, servers)
    return run


async def _measure(
    mode: str, viewers: int, args: argparse.Namespace, room: str, servers: list[tuple[str, int]]
) -> Run:
    run = Run(mode, viewers)
    path = f"/live/{room}/ws"
    urls = [f"ws://{servers[i % len(servers)][0]}{path}" for i in range(viewers)]
    context = multiprocessing.get_context("spawn")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    shares = [urls[i :: args.clients] for i in range(args.clients)]
    clients = [
        context.Process(target=viewer_process, args=(share, ready, stop, results))
        for share in shares
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    for _ in clients:
        await asyncio.to_thread(ready.get, True, 600)
    run.join_s = time.perf_counter() - started
    progress(f"  {viewers:,} viewers joined in {run.join_s:.1f} s")
    cookie = await host_cookie(servers[0][0])
    async with connect(
        f"ws://{servers[0][0]}{path}", additional_headers={"Cookie": f"shoptide={cookie}"}
    ) as host:
        await host.recv()
        drain = asyncio.create_task(_drain(host))
        pids = [pid for _, pid in servers]
        client_pids = [c.pid for c in clients if c.pid is not None]
        before = cpu_snapshot(pids, client_pids)
        window = time.perf_counter()
        run.sent = await comment_at_rate(host, args.rate, args.seconds)
        run.window_s = time.perf_counter() - window
        after = cpu_snapshot(pids, client_pids)
        await asyncio.sleep(args.drain)
        drain.cancel()
    stop.set()
    for _ in clients:
        received, latencies, failed = await asyncio.to_thread(results.get, True, 120)
        run.received += received
        run.latencies_ms += latencies
        run.failed += failed
    for client in clients:
        await asyncio.to_thread(client.join, 30)
    run.cpu_s = {k: after[k] - before[k] for k in before}
    return run


# --- the report -----------------------------------------------------------------------------


def summarise(runs: list[Run]) -> dict[str, float | str]:
    median = sorted(runs, key=lambda r: r.delivered_per_s)[len(runs) // 2]
    expected = sum(r.sent * r.viewers for r in runs)
    return {
        "deliveries/s (median)": statistics.median(r.delivered_per_s for r in runs),
        "  each run": "  ".join(f"{r.delivered_per_s:,.0f}" for r in runs),
        "delivered / expected": sum(r.received for r in runs) / expected if expected else 0.0,
        "latency p50, ms (median)": statistics.median(pct(r.latencies_ms, 50) for r in runs),
        "latency p99, ms (median)": statistics.median(pct(r.latencies_ms, 99) for r in runs),
        "join time, s (median)": statistics.median(r.join_s for r in runs),
        "failed connections": float(sum(r.failed for r in runs)),
        **{f"{k} CPU, cores": v / median.window_s for k, v in median.cpu_s.items()},
    }


def print_table(viewers: int, results: dict[str, dict[str, float | str]], args: Any) -> None:
    modes = list(results)
    rows = list(next(iter(results.values())))
    both = len(modes) == 2
    width = max(len(r) for r in rows) + 2
    print(
        f"\nlive fan-out: {viewers:,} viewers, host comments {args.rate:g}/s "
        f"for {args.seconds:g} s, {args.clients} client processes, {args.runs} run(s) per mode"
    )
    header = f"{'':<{width}}" + "".join(f"{m:>16}" for m in modes)
    print(header + (f"{'redis / embedded':>18}" if both else ""))
    for row in rows:
        cells = [results[m][row] for m in modes]
        if any(isinstance(c, str) and len(c) > 15 for c in cells):
            for mode, cell in zip(modes, cells, strict=True):
                print(f"{row:<{width}}{mode}: {fmt(cell)}")
            continue
        line = f"{row:<{width}}" + "".join(f"{fmt(c):>16}" for c in cells)
        if both and all(isinstance(c, float) for c in cells) and cells[0]:
            line += f"{cells[1] / cells[0]:>17.2f}x"  # type: ignore[operator]
        print(line)


async def main(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    modes = ["embedded", "redis"] if args.mode == "both" else [args.mode]
    work = Path(tempfile.mkdtemp(prefix="shoptide-live-"))
    progress(f"data and server logs in {work}")
    for viewers in args.viewers:
        results: dict[str, dict[str, float | str]] = {}
        for mode in modes:
            runs = []
            for n in range(args.runs):
                progress(f"{mode}, {viewers:,} viewers, run {n + 1}/{args.runs}")
                runs.append(await one_run(mode, viewers, args, work))
                last = runs[-1]
                progress(
                    f"  {last.delivered_per_s:,.0f} deliveries/s, "
                    f"p50 {pct(last.latencies_ms, 50):,.0f} ms, "
                    f"p99 {pct(last.latencies_ms, 99):,.0f} ms, {last.failed} failed"
                )
            results[mode] = summarise(runs)
        print_table(viewers, results, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rate", type=float, default=5.0, help="host comments per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="sending window")
    parser.add_argument("--drain", type=float, default=3.0, help="wait after the window")
    parser.add_argument("--clients", type=int, default=4, help="viewer client processes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=("both", "embedded", "redis"), default="both")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
