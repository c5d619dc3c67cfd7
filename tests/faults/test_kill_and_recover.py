"""kill -9 at each step of a checkout, then recovery: no charge is lost, no unit is
invented, no event is delivered twice.

The app runs in a subprocess (uvicorn, `tests.faults.harness:create_app`) against the test
databases, with the test gateway's sandbox file so the charge outlives the process. The
harness SIGKILLs the process at the step named by SHOPTIDE_FAULT_AT; recovery is the
checkout sweep run here against the same databases and sandbox file, or a replay of the
idempotency key to a fresh server.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from shoptide.checkout import flows as checkout_flows
from shoptide.checkout.models import Checkout
from shoptide.payments.gateway import SandboxFileGateway
from tests import factories
from tests.checkout.test_one_payment_per_cart import cart_of_two
from tests.checkout.test_recovery import after_grace
from tests.faults.books import assert_books_balance, gateway_books

REPO = Path(__file__).resolve().parents[2]
STOCK = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox(tmp_path) -> Path:
    return tmp_path / "gateway-sandbox.sqlite3"


@contextlib.asynccontextmanager
async def served(settings, sandbox: Path, fault: str = "") -> AsyncIterator[str]:
    """The app in a subprocess on the test databases; yields its base URL once it answers."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHOPTIDE_")},
        "SHOPTIDE_DATA_DIR": str(settings.data_dir),
        "SHOPTIDE_CELL_URLS": json.dumps(settings.cell_urls),
        "SHOPTIDE_MARKET_CELLS": json.dumps(settings.market_cells),
        "SHOPTIDE_SECRET_KEY": settings.secret_key,
        "SHOPTIDE_PASSWORD_TIME_COST": "1",
        "SHOPTIDE_PASSWORD_MEMORY_COST_KIB": "64",
        "SHOPTIDE_EMBEDDED_DISPATCHER": "false",  # recovery is the test's to run
        "SHOPTIDE_PAYMENT_SANDBOX_FILE": str(sandbox),
        "SHOPTIDE_FAULT_AT": fault,
    }
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "uvicorn", "--factory", "tests.faults.harness:create_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _until_up(process, base_url)
        yield base_url
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 20)


async def _until_up(process: asyncio.subprocess.Process, base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=1) as client:
        for _ in range(300):
            if process.returncode is not None:
                assert process.stderr is not None
                pytest.fail(f"the app exited: {(await process.stderr.read()).decode()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/static/shoptide.css")).is_success:
                    return
            await asyncio.sleep(0.1)
    pytest.fail("the app did not start in 30 s")


async def checkout(base_url: str, buyer: factories.Account, key: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post(
            "/api/v1/checkout",
            json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
            headers={**buyer.headers, "Idempotency-Key": key},
        )


async def killed_during_checkout(settings, sandbox, fault: str, buyer) -> None:
    async with served(settings, sandbox, fault) as base_url:
        with pytest.raises(httpx.TransportError):  # the process died: no answer
            await checkout(base_url, buyer, "killed-checkout")


async def checkout_status(databases) -> str | None:
    async with databases.session("main", write=False) as s:
        return await s.scalar(select(Checkout.status))


@pytest.mark.parametrize(
    ("fault", "ends_as"),
    [("before_charge", "expired"), ("after_charge", "paid"), ("after_settle", "paid")],
)
async def test_a_checkout_killed_at_any_step_ends_paid_or_given_back_by_the_sweep(
    app, client, databases, settings, sandbox, fault, ends_as
):
    buyer = await cart_of_two(client, databases, stock=STOCK)

    await killed_during_checkout(settings, sandbox, fault, buyer)
    gateway = SandboxFileGateway(sandbox)  # the gateway, as the recovering process sees it
    await checkout_flows.expire_stale(databases, gateway, "main", now=after_grace(databases))

    assert await checkout_status(databases) == ends_as
    assert len(gateway_books(sandbox)[0]) == (0 if fault == "before_charge" else 1)
    await assert_books_balance(app, databases, sandbox, stock=STOCK)


async def test_the_shopper_retrying_after_a_kill_gets_the_paid_order_charged_once(
    app, client, databases, settings, sandbox
):
    buyer = await cart_of_two(client, databases, stock=STOCK)

    await killed_during_checkout(settings, sandbox, "after_charge", buyer)
    async with served(settings, sandbox) as base_url:
        retried = await checkout(base_url, buyer, "killed-checkout")

    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "paid"
    assert len(gateway_books(sandbox)[0]) == 1
    await assert_books_balance(app, databases, sandbox, stock=STOCK)


def test_the_harness_kills_with_sigkill():
    assert signal.SIGKILL == 9  # kill -9: the process gets no chance to clean up
