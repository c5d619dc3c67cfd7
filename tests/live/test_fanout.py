"""Two real app processes share a room through Redis: a viewer on one sees what is said on
the other, and the viewer count counts both.

The servers are uvicorn subprocesses on free ports over the same SQLite files, each with
its own Redis subscription; a channel prefix of their own keeps parallel runs apart."""

import asyncio
import json
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from websockets.asyncio.client import ClientConnection, connect

from shoptide.db import Databases, upgrade_all
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.conftest import SEA_MARKETS, make_settings
from tests.live import support
from tests.pages import CSRF

REDIS_URL = "redis://127.0.0.1:6379/15"
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 10.0


@dataclass
class World:
    room: str
    shopper: factories.Account


async def _seed(data_dir: Path) -> World:
    settings = make_settings(data_dir, {})
    await asyncio.to_thread(upgrade_all, settings)
    databases = Databases(settings)
    try:
        async with databases.session(GLOBAL_CELL) as session:
            await markets_service.ensure_defaults(session)
        room = await support.room(databases)
        return World(room.public_name, await factories.shopper(databases))
    finally:
        await databases.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(data_dir: Path, prefix: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")}
    return {
        **inherited,
        "SHOPTIDE_DATA_DIR": str(data_dir),
        "SHOPTIDE_MARKET_CELLS": json.dumps(SEA_MARKETS),
        "SHOPTIDE_SECRET_KEY": "test-secret",
        "SHOPTIDE_COOKIE_SECURE": "false",  # the servers speak plain http
        "SHOPTIDE_PASSWORD_TIME_COST": "1",
        "SHOPTIDE_PASSWORD_MEMORY_COST_KIB": "64",
        "SHOPTIDE_EMBEDDED_DISPATCHER": "false",
        "SHOPTIDE_LIVE_REDIS_URL": REDIS_URL,
        "SHOPTIDE_LIVE_REDIS_PREFIX": prefix,
        "SHOPTIDE_LOG_JSON": "false",
    }


async def _serve(env: dict[str, str], log: Path) -> tuple[str, asyncio.subprocess.Process]:
    port = _free_port()
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "shoptide.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return f"127.0.0.1:{port}", process


async def _ready(address: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:
            if process.returncode is not None:
                tail = (await asyncio.to_thread(log.read_text))[-3000:]
                pytest.fail(f"a server exited:\n{tail}")
            try:
                if (await client.get(f"http://{address}/static/shoptide.css")).is_success:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


@pytest.fixture
async def two_servers(tmp_path: Path) -> AsyncIterator[tuple[World, str, str]]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.ConnectionError, OSError):
        pytest.skip("no Redis at 127.0.0.1:6379")
    finally:
        await client.aclose()
    world = await _seed(tmp_path / "data")
    env = _environment(tmp_path / "data", f"test-{uuid.uuid4().hex[:8]}:")
    servers = [await _serve(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    try:
        for (address, process), n in zip(servers, (1, 2), strict=True):
            await _ready(address, process, tmp_path / f"server-{n}.log")
        yield world, servers[0][0], servers[1][0]
    finally:
        for _, process in servers:
            process.terminate()
            await process.wait()


async def _sign_in(address: str, account: factories.Account) -> str:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        token = CSRF.search((await client.get("/signin")).text)
        assert token is not None
        signed_in = await client.post(
            "/signin",
            data={
                "account": "shopper",
                "email": account.email,
                "password": factories.PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert signed_in.status_code == 303
        return client.cookies["shoptide"]


async def _next(socket: ClientConnection, kind: str, **fields: Any) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_S):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                return message


async def test_a_viewer_on_one_process_sees_a_comment_posted_on_the_other(two_servers):
    world, on_a, on_b = two_servers
    cookie = await _sign_in(on_b, world.shopper)
    path = f"/live/{world.room}/ws"
    async with connect(f"ws://{on_a}{path}") as viewer:
        await _next(viewer, "snapshot")
        async with connect(
            f"ws://{on_b}{path}", additional_headers={"Cookie": f"shoptide={cookie}"}
        ) as writer:
            snapshot = await _next(writer, "snapshot")
            assert snapshot["you"]["can_comment"] is True
            # counted across both processes
            assert (await _next(viewer, "viewers", count=2))["count"] == 2
            await writer.send(json.dumps({"type": "comment", "body": "Hello from B"}))
            comment = await _next(viewer, "comment")
    assert comment["body"] == "Hello from B"
    assert comment["author"] == world.shopper.email.split("@")[0]
