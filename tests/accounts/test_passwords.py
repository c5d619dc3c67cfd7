"""Password hashing at the production cost never holds up the event loop: other requests
are answered while bad sign-ins are being checked."""

import asyncio
import time
from collections.abc import Iterator

import pytest

from shoptide.accounts.service import Passwords
from shoptide.settings import Settings

PRODUCTION_COST = Settings(password_time_cost=3, password_memory_cost_kib=65536)


@pytest.fixture
def production_passwords(app) -> Iterator[Passwords]:
    """The app checks passwords at the production cost for one test (app.state is no
    place for monkeypatch: it keeps attributes outside __dict__)."""
    usual = app.state.passwords
    app.state.passwords = Passwords(PRODUCTION_COST)
    yield app.state.passwords
    app.state.passwords = usual


async def test_four_bad_sign_ins_at_production_cost_do_not_hold_up_other_requests(
    client, databases, production_passwords
):
    passwords = production_passwords
    started = time.perf_counter()
    passwords.verify(None, "a guess")
    one_check = time.perf_counter() - started
    await client.get("/api/v1/markets")  # markets cached, as in a warm process

    async def bad_sign_in(n: int) -> int:
        body = {"email": f"nobody{n}@example.com", "password": "a guess", "market": "US"}
        return (await client.post("/api/v1/auth/token", json=body)).status_code

    sign_ins = [asyncio.create_task(bad_sign_in(n)) for n in range(4)]
    waits = []
    while not all(task.done() for task in sign_ins) or len(waits) < 3:
        asked = time.perf_counter()
        assert (await client.get("/api/v1/markets")).status_code == 200
        waits.append(time.perf_counter() - asked)

    assert [await task for task in sign_ins] == [401] * 4
    assert max(waits) < one_check / 2, f"a check takes {one_check:.3f}s; waits {waits}"
