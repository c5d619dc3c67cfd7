"""Browser tests: a real server, a real Chromium, a person's steps.

They stay clear of the asyncio fixtures in tests/conftest.py: the shop is seeded by a
subprocess (`python -m tests.e2e.seed`), the server is another subprocess, and Playwright's
sync API runs its own event loop, only while this package's tests run (package scope).

SQLite by default; with SHOPTIDE_TEST_DB=postgres the cells are the databases
shoptide_e2e_global, shoptide_e2e_main and shoptide_e2e_sea (created from `test`).
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.seed import World

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SEA_MARKETS = {"ID": "sea", "TH": "sea", "VN": "sea", "MY": "sea"}
STEP_TIMEOUT_MS = 8_000


@dataclass
class Server:
    """The app in a subprocess; it boots while Chromium starts, `ready()` waits for it."""

    base_url: str
    log: Path
    process: subprocess.Popen[bytes]
    up: bool = False

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.up and time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                self.up = httpx.get(f"{self.base_url}/static/shoptide.css", timeout=1).is_success
            if not self.up:
                time.sleep(0.1)
        if not self.up:
            pytest.fail(f"the server did not start in {timeout_s:.0f} s:\n{self.log_tail()}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cell_urls() -> dict[str, str]:
    if os.environ.get("SHOPTIDE_TEST_DB", "sqlite") != "postgres":
        return {}
    host = os.environ.get("SHOPTIDE_TEST_PG_HOST", "127.0.0.1")
    return {
        cell: f"postgresql+asyncpg://postgres@{host}/shoptide_e2e_{cell}"
        for cell in ("global", "main", "sea")
    }


@pytest.fixture(scope="package")
def shop_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the seeding run and of the server: same settings for both."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")}
    return {
        **inherited,
        "SHOPTIDE_DATA_DIR": str(data_dir),
        "SHOPTIDE_CELL_URLS": json.dumps(_cell_urls()),
        "SHOPTIDE_MARKET_CELLS": json.dumps(SEA_MARKETS),
        "SHOPTIDE_PASSWORD_TIME_COST": "1",
        "SHOPTIDE_PASSWORD_MEMORY_COST_KIB": "64",
        "SHOPTIDE_SECRET_KEY": "e2e-secret",
        "SHOPTIDE_COOKIE_SECURE": "false",  # the server speaks plain http
        "SHOPTIDE_LOG_JSON": "false",
        **_media_env(),
    }


@pytest.fixture(scope="package")
def world(shop_env: dict[str, str]) -> World:
    """Migrated databases with markets, a merchant, two shoppers and a few products."""
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed"],
        cwd=REPO,
        env=shop_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if seeded.returncode != 0:
        pytest.fail(f"seeding the e2e shop failed:\n{seeded.stderr[-4000:]}")
    return World.from_json(seeded.stdout)


@pytest.fixture(scope="package")
def server(
    world: World, shop_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path_factory.mktemp("e2e-server") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "shoptide.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=shop_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Server(f"http://127.0.0.1:{port}", log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: apt-get install -y chromium")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test shows the end of the server's log next to the traceback."""
    report = yield
    running = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(running, Server):
        report.sections.append(("server log (last lines)", running.log_tail()))
    return report


@pytest.fixture
def page(
    server: Server, browser: Browser, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Page]:
    """A fresh visitor (no cookies). The last screen is saved as tmp_path/<test>.png."""
    server.ready()
    context = browser.new_context(
        base_url=server.base_url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    visitor = context.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked (a script, a style...)
    visitor.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield visitor
    finally:
        visitor.screenshot(path=tmp_path / f"{request.node.name}.png", full_page=True)
        context.close()
    assert refused == [], "the page broke its Content-Security-Policy"


# --- live video: nginx with the RTMP module, in front of the server ------------------------


def _media_env() -> dict[str, str]:
    """Ports and folder of this run's nginx-rtmp, so the server's URLs point at it. Started
    as root, nginx's workers run as nobody: its folder can't be in pytest's private tmp."""
    rtmp, http = _free_port(), _free_port()
    return {
        "SHOPTIDE_MEDIA_SERVER_DIR": str(Path(tempfile.gettempdir()) / f"shoptide-e2e-rtmp-{rtmp}"),
        "SHOPTIDE_RTMP_PORT": str(rtmp),
        "SHOPTIDE_MEDIA_HTTP_PORT": str(http),
        "SHOPTIDE_RTMP_PUBLIC_URL": f"rtmp://127.0.0.1:{rtmp}/live",
        "SHOPTIDE_LIVE_HLS_URL": f"http://127.0.0.1:{http}/hls",
        "SHOPTIDE_MEDIA_CONTROL_URL": f"http://127.0.0.1:{http}/control",
    }


@dataclass
class MediaServer:
    """nginx-rtmp configured by `shoptide media nginx-config`, hooks pointing at the server."""

    prefix: Path
    rtmp_url: str  # where encoders publish: rtmp://127.0.0.1:PORT/live
    http_url: str  # HLS under /hls/, everything else proxied to the server


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    pytest.fail(f"nginx did not listen on {port} in {timeout_s:.0f} s")


@pytest.fixture(scope="package")
def media_server(server: Server, shop_env: dict[str, str]) -> Iterator[MediaServer]:
    from shoptide.live import media

    if shutil.which("nginx") is None or not media.RTMP_MODULE.exists():
        pytest.skip("nginx or its RTMP module is missing: apt-get install nginx libnginx-mod-rtmp")
    prefix = Path(shop_env["SHOPTIDE_MEDIA_SERVER_DIR"])
    prefix.mkdir(mode=0o755)
    shoptide = Path(sys.executable).parent / "shoptide"
    installed = subprocess.run(
        [shoptide, "media", "nginx-config", "--install", prefix, "--app-url", server.base_url],
        env=shop_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if installed.returncode != 0:
        pytest.fail(f"shoptide media nginx-config failed:\n{installed.stderr[-4000:]}")
    with (prefix / "logs" / "nginx.out").open("w") as out:
        process = subprocess.Popen(
            media.nginx_command(prefix), stdout=out, stderr=subprocess.STDOUT
        )
    rtmp, http = int(shop_env["SHOPTIDE_RTMP_PORT"]), int(shop_env["SHOPTIDE_MEDIA_HTTP_PORT"])
    try:
        _wait_for_port(rtmp, process)
        _wait_for_port(http, process)
        yield MediaServer(prefix, f"rtmp://127.0.0.1:{rtmp}/live", f"http://127.0.0.1:{http}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(prefix, ignore_errors=True)
