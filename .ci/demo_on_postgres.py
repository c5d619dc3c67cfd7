"""Run `shoptide demo` once on PostgreSQL, the way a newcomer would: fresh databases for
three cells, load the demo data, check the app serves its pages, stop it, drop the
databases. Fails (exit 1) on any error, on a demo without live rooms or videos, or on a
page that doesn't answer 200.

Usage: .venv/bin/python .ci/demo_on_postgres.py   (PostgreSQL on SHOPTIDE_TEST_PG_HOST,
default 127.0.0.1, user postgres with trust auth, database `test`, like the test suite)
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg

HOST = os.environ.get("SHOPTIDE_TEST_PG_HOST", "127.0.0.1")
CELLS = {"global": "ci_demo_global", "main": "ci_demo_main", "sea": "ci_demo_sea"}
SEA = ("ID", "TH", "VN", "MY", "SG")
PAGES = ("/", "/live", "/search?q=shirt", "/api/v1/markets")
LOAD_TIMEOUT_S = 600
SERVE_TIMEOUT_S = 60
VENV_BIN = Path(sys.executable).parent


async def _recreate(create: bool) -> None:
    conn = await asyncpg.connect(host=HOST, user="postgres", database="test")
    try:
        for name in CELLS.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(data_dir: str) -> dict[str, str]:
    urls = {cell: f"postgresql+asyncpg://postgres@{HOST}/{db}" for cell, db in CELLS.items()}
    return os.environ | {
        "SHOPTIDE_DATA_DIR": data_dir,
        "SHOPTIDE_CELL_URLS": json.dumps(urls),
        "SHOPTIDE_MARKET_CELLS": json.dumps(dict.fromkeys(SEA, "sea")),
    }


def _echo(demo: subprocess.Popen[str], lines: list[str]) -> None:
    """Print and keep the demo's output as it comes, so its pipe never fills up."""
    assert demo.stdout is not None
    for line in demo.stdout:
        print(line, end="", flush=True)
        lines.append(line)


def _wait_for_serving(demo: subprocess.Popen[str], port: int, lines: list[str]) -> None:
    """Wait for the demo to load its data (it says where it serves), then for the first
    page."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while not any("Shoptide is at" in line for line in lines):
        if demo.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"shoptide demo did not load its data (exit code {demo.poll()})")
        time.sleep(0.5)
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while time.monotonic() < deadline and demo.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise SystemExit(f"shoptide demo did not serve on port {port} (exit code {demo.poll()})")


def _check_loaded(lines: list[str]) -> None:
    summary = next((line for line in lines if line.startswith("demo data:")), "")
    rooms = re.search(r"(\d+) live rooms scheduled", summary)
    videos = re.search(r"(\d+) videos uploaded", summary)
    if not rooms or int(rooms[1]) == 0:
        raise SystemExit(f"the demo scheduled no live rooms: {summary!r}")
    if shutil.which("ffmpeg") and (not videos or int(videos[1]) == 0):
        raise SystemExit(f"the demo uploaded no videos although ffmpeg is here: {summary!r}")


def _check_pages(port: int) -> None:
    for page in PAGES:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as answer:
            print(f"GET {page} -> {answer.status}")
            if answer.status != 200:
                raise SystemExit(f"GET {page} answered {answer.status}")


def main() -> None:
    asyncio.run(_recreate(create=True))
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="shoptide-demo-") as data_dir:
        demo = subprocess.Popen(
            [str(VENV_BIN / "shoptide"), "demo", "--port", str(port)],
            env=_environment(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        echo = threading.Thread(target=_echo, args=(demo, lines), daemon=True)
        echo.start()
        try:
            _wait_for_serving(demo, port, lines)
            _check_loaded(lines)
            _check_pages(port)
        finally:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
    asyncio.run(_recreate(create=False))
    print("shoptide demo on PostgreSQL: loaded and served")


if __name__ == "__main__":
    main()
