"""The database connection breaks while a checkout settles (after the card was charged):
the charge is found again, by the shopper's retry or by the sweep.

On PostgreSQL settling's own connection is terminated (pg_terminate_backend, as a server
running out of connections or restarting does); on SQLite, which has no server, settling
raises the driver's OperationalError."""

import sqlite3

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from shoptide.checkout import flows as checkout_flows
from shoptide.checkout import steps
from shoptide.payments.gateway import SandboxFileGateway
from tests.checkout.test_one_payment_per_cart import cart_of_two
from tests.checkout.test_recovery import after_grace
from tests.faults.books import assert_books_balance
from tests.faults.test_kill_and_recover import STOCK, checkout_status


async def _break_connection(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    raise OperationalError("settle", {}, sqlite3.OperationalError("disk I/O error"))


@pytest.fixture
async def settle_loses_its_database(app, monkeypatch, tmp_path):
    """The app with the sandbox gateway, and settling whose connection breaks once."""
    sandbox = tmp_path / "gateway-sandbox.sqlite3"
    gateway, app.state.gateway = app.state.gateway, SandboxFileGateway(sandbox)
    settle = steps.settle
    broken = []

    async def settle_once_broken(session, *args, **kwargs):
        if not broken:
            broken.append(True)
            await _break_connection(session)
        return await settle(session, *args, **kwargs)

    monkeypatch.setattr(steps, "settle", settle_once_broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, sandbox
    app.state.gateway = gateway  # (monkeypatch would delete the app's State attribute)


async def pay(client, buyer):
    return await client.post(
        "/api/v1/checkout",
        json={
            "address": {
                "full_name": "Ada",
                "line1": "1 St",
                "city": "Town",
                "postal_code": "1",
                "phone": "1",
            },
            "card_number": "4242424242424242",
        },
        headers={**buyer.headers, "Idempotency-Key": "lost-database-1"},
    )


async def test_a_charge_settling_could_not_record_is_settled_by_the_retry(
    app, client, databases, settle_loses_its_database
):
    broken_client, sandbox = settle_loses_its_database
    buyer = await cart_of_two(client, databases, stock=STOCK)

    failed = await pay(broken_client, buyer)
    assert failed.status_code == 500
    assert await checkout_status(databases) == "pending_payment"
    retried = await pay(broken_client, buyer)

    assert (retried.status_code, retried.json()["status"]) == (200, "paid")
    await assert_books_balance(app, databases, sandbox, stock=STOCK)


async def test_a_charge_settling_could_not_record_is_settled_by_the_sweep(
    app, client, databases, settle_loses_its_database
):
    broken_client, sandbox = settle_loses_its_database
    buyer = await cart_of_two(client, databases, stock=STOCK)

    assert (await pay(broken_client, buyer)).status_code == 500
    gateway = app.state.gateway
    assert await checkout_flows.expire_stale(databases, gateway, "main", now=after_grace(databases))

    assert await checkout_status(databases) == "paid"
    await assert_books_balance(app, databases, sandbox, stock=STOCK)


def test_the_fault_is_a_database_error():
    assert issubclass(OperationalError, DBAPIError)
