"""Login stall: how long an unrelated request waits while bad sign-ins are checked.

argon2 at the production cost (time cost 3, 64 MiB) is a few hundred milliseconds of CPU
per check. Run on the event loop, every request queued behind it waits; run in threads
(accounts.service.Passwords), the loop keeps answering. For each way, the script:

1. migrates a fresh SQLite data folder and adds the default markets;
2. starts `uvicorn --factory login_stall:make_app` (one worker, production argon2 cost,
   sign-in limits raised out of the way: this measures hashing, not the throttle); the
   "before" server swaps in a Passwords that checks on the event loop, as the code did
   before issue 12;
3. times GET /api/v1/markets alone (--idle requests, one at a time), then again while
   --parallel clients send bad POST /api/v1/auth/token (unknown accounts: the same
   argon2 check a wrong password costs) for --seconds.

It prints median and p95 per way, side by side with the after/before ratio.

    .venv/bin/python bench/login_stall.py
    .venv/bin/python bench/login_stall.py --parallel 4 --seconds 10 --idle 200
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI

from common import fmt, pct, progress, uvicorn_server
from shoptide.accounts.service import Passwords
from shoptide.app import create_app
from shoptide.db import Databases, upgrade_all
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL, Settings

ON_LOOP = "BENCH_ARGON2_ON_LOOP"
WAYS = {"before": "argon2 on the event loop (before)", "after": "argon2 in threads (after)"}


class OnLoopPasswords(Passwords):
    """The code before issue 12: the check runs on the event loop."""

    async def hashed(self, password: str) -> str:
        return self.hash(password)

    async def matches(self, password_hash: str | None, password: str) -> bool:
        return self.verify(password_hash, password)


def make_app() -> FastAPI:
    """The server's factory (uvicorn --factory): the shipped app, or with argon2 moved
    back onto the event loop when BENCH_ARGON2_ON_LOOP=1."""
    app = create_app()
    if os.environ.get(ON_LOOP) == "1":
        app.state.passwords = OnLoopPasswords(app.state.settings)
    return app


def server_env(data_dir: Path, *, on_loop: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")}
    env.update(
        SHOPTIDE_DATA_DIR=str(data_dir),
        SHOPTIDE_PASSWORD_TIME_COST="3",
        SHOPTIDE_PASSWORD_MEMORY_COST_KIB="65536",
        SHOPTIDE_SECRET_KEY=secrets.token_urlsafe(32),
        SHOPTIDE_COOKIE_SECURE="false",
        SHOPTIDE_SIGN_IN_LIMITS_PER_ACCOUNT="1000000/minute",
        SHOPTIDE_SIGN_IN_LIMITS_PER_IP="1000000/minute",
        **{ON_LOOP: "1" if on_loop else "0"},
    )
    return env


async def prepare(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, secret_key="bench-login-stall")
    await asyncio.to_thread(upgrade_all, settings)
    databases = Databases(settings)
    async with databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
    await databases.dispose()


@contextlib.asynccontextmanager
async def server(data_dir: Path, *, on_loop: bool) -> AsyncIterator[str]:
    """The app with argon2 where `on_loop` says; yields its base URL once it answers."""
    async with uvicorn_server(
        ["--app-dir", str(Path(__file__).parent)],
        factory="login_stall:make_app",
        env=server_env(data_dir, on_loop=on_loop),
        cwd=data_dir,
        log_path=data_dir / f"server-{'before' if on_loop else 'after'}.log",
    ) as (address, _):
        yield f"http://{address}"


@dataclass
class Way:
    idle_ms: list[float] = field(default_factory=list)
    loaded_ms: list[float] = field(default_factory=list)
    bad_sign_ins: int = 0
    unexpected: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def timed_get(client: httpx.AsyncClient, into: list[float], way: Way) -> None:
    started = time.perf_counter()
    response = await client.get("/api/v1/markets")
    into.append((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        way.unexpected.append(f"GET /api/v1/markets {response.status_code}")


async def bad_sign_ins(client: httpx.AsyncClient, until: float, way: Way, n: int) -> None:
    for attempt in itertools.count():
        if time.perf_counter() >= until:
            return
        body = {"email": f"nobody{n}.{attempt}@example.com", "password": "a guess"}
        response = await client.post("/api/v1/auth/token", json={**body, "market": "US"})
        if response.status_code == 401:
            way.bad_sign_ins += 1
        else:
            way.unexpected.append(f"POST /api/v1/auth/token {response.status_code}")


async def measure(base: str, *, idle: int, parallel: int, seconds: float) -> Way:
    way = Way()
    async with httpx.AsyncClient(base_url=base, timeout=60) as reader:
        for _ in range(idle):
            await timed_get(reader, way.idle_ms, way)
        started = time.perf_counter()
        until = started + seconds
        async with httpx.AsyncClient(base_url=base, timeout=60) as attackers:
            load = [
                asyncio.create_task(bad_sign_ins(attackers, until, way, n)) for n in range(parallel)
            ]
            await asyncio.sleep(0.2)  # the sign-ins are under way
            while time.perf_counter() < until:
                await timed_get(reader, way.loaded_ms, way)
                await asyncio.sleep(0.01)
            await asyncio.gather(*load)
        way.seconds = time.perf_counter() - started
    return way


def report(ways: dict[str, Way], parallel: int) -> None:
    before, after = ways["before"], ways["after"]

    def row(name: str, pick: str) -> str:
        values = [getattr(ways[w], pick) for w in WAYS]
        p50 = [statistics.median(v) for v in values]
        p95 = [pct(v, 95) for v in values]
        cells = [f"{fmt(a)} / {fmt(b)}" for a, b in zip(p50, p95, strict=True)]
        ratio = f"{p50[1] / p50[0]:.2f}x / {p95[1] / p95[0]:.2f}x"
        return f"| {name} | {cells[0]} | {cells[1]} | {ratio} |"

    rate = [ways[w].bad_sign_ins / ways[w].seconds for w in WAYS]
    print(
        f"| GET /api/v1/markets, ms (median / p95) | {' | '.join(WAYS.values())} | after/before |"
    )
    print("|---|---|---|---|")
    print(row("alone", "idle_ms"))
    print(row(f"during {parallel} parallel bad sign-ins", "loaded_ms"))
    print(
        f"| GETs timed during the sign-ins | {len(before.loaded_ms)} | {len(after.loaded_ms)} | |"
    )
    print(f"| bad sign-ins/s | {rate[0]:.1f} | {rate[1]:.1f} | {rate[1] / rate[0]:.2f}x |")
    for name, way in ways.items():
        if way.unexpected:
            print(f"{name}: unexpected answers: {sorted(set(way.unexpected))}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--idle", type=int, default=200)
    args = parser.parse_args()
    ways: dict[str, Way] = {}
    with tempfile.TemporaryDirectory(prefix="shoptide-login-stall-") as tmp:
        for name in WAYS:
            data_dir = Path(tmp) / name
            data_dir.mkdir()
            await prepare(data_dir)
            progress(f"{name}: {WAYS[name]}")
            async with server(data_dir, on_loop=name == "before") as base:
                ways[name] = await measure(
                    base, idle=args.idle, parallel=args.parallel, seconds=args.seconds
                )
            progress(f"{name}: {ways[name].bad_sign_ins} bad sign-ins checked")
    report(ways, args.parallel)
    return 1 if any(way.unexpected for way in ways.values()) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
