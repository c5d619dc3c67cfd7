"""Guessing passwords is slowed down on every way in (the API's token, the sign-in page, the
operations console): per account and per address, failures only, longer and longer waits,
and the same counts in every app process when they share a Redis."""

import secrets
import time

import pytest
from limits.aio.storage import MemoryStorage

from shoptide.accounts.throttle import SignInThrottle, TooManySignIns
from shoptide.errors import NotSignedIn
from shoptide.settings import Settings
from tests import factories
from tests.pages import BROWSER, csrf_token

WRONG = "not the password"
REDIS_URL = "redis://127.0.0.1:6379/0"


async def _api(client, email: str, password: str = WRONG, market: str | None = "US"):
    body = {"email": email, "password": password} | ({"market": market} if market else {})
    return await client.post("/api/v1/auth/token", json=body)


async def _page(client, email: str, password: str = WRONG):
    token = await csrf_token(client)
    return await client.post(
        "/signin",
        headers=BROWSER,
        data={"account": "shopper", "email": email, "password": password, "csrf_token": token},
    )


async def _console(client, email: str, password: str = WRONG):
    return await client.post("/admin/login", data={"username": email, "password": password})


def _waits(response) -> int:
    assert response.status_code == 429, response.text
    return int(response.headers["Retry-After"])


async def test_the_api_refuses_an_account_after_five_failures_even_with_the_right_password(
    client, databases
):
    shopper = await factories.shopper(databases, "US")
    failures = [await _api(client, shopper.email) for _ in range(5)]

    refused = await _api(client, shopper.email, factories.PASSWORD)

    assert [f.status_code for f in failures] == [401] * 5
    assert 1 <= _waits(refused) <= 60
    message = refused.json()["error"]["message"]
    assert message.startswith("Too many sign-in attempts. Try again in ")
    assert message.endswith(" seconds.")
    other = await factories.shopper(databases, "US")
    assert (await _api(client, other.email, factories.PASSWORD)).status_code == 200


async def test_the_sign_in_page_says_how_long_to_wait_on_the_form(client, databases):
    shopper = await factories.shopper(databases, "US")
    for _ in range(5):
        assert (await _page(client, shopper.email)).status_code == 400

    refused = await _page(client, shopper.email, factories.PASSWORD)

    assert 1 <= _waits(refused) <= 60
    assert "Too many sign-in attempts. Try again in" in refused.text
    assert f'value="{shopper.email}"' in refused.text  # the form, with what was typed
    assert (await client.get("/cart", headers=BROWSER)).status_code == 303  # still signed out


async def test_the_console_login_says_how_long_to_wait_on_its_form(client, databases):
    operator = await factories.operator(databases)
    for _ in range(5):
        assert (await _console(client, operator.email)).status_code == 400

    refused = await _console(client, operator.email, factories.PASSWORD)

    assert 1 <= _waits(refused) <= 60
    assert "Too many sign-in attempts. Try again in" in refused.text
    assert (await client.get("/admin/market/list")).status_code in (302, 303)  # not let in


async def test_one_address_guessing_many_accounts_is_stopped_but_right_passwords_never_count(
    client, databases
):
    """Only failures count: a crowd behind one address signs in all day."""
    office = [await factories.shopper(databases, "US") for _ in range(25)]
    signed_in = [await _api(client, s.email, factories.PASSWORD) for s in office]
    guesses = [await _api(client, f"guess{n}@example.com") for n in range(20)]

    refused = await _api(client, "guess20@example.com")

    assert {a.status_code for a in signed_in} == {200}
    assert {g.status_code for g in guesses} == {401}
    assert 1 <= _waits(refused) <= 60


async def test_signing_in_forgets_the_accounts_earlier_failures(client, databases):
    shopper = await factories.shopper(databases, "US")
    for _ in range(4):
        await _api(client, shopper.email)
    assert (await _api(client, shopper.email, factories.PASSWORD)).status_code == 200

    later = [await _api(client, shopper.email) for _ in range(6)]

    assert [r.status_code for r in later] == [401] * 5 + [429]


async def _fail(throttle: SignInThrottle, email: str, address: str = "203.0.113.7") -> None:
    with pytest.raises(NotSignedIn):
        async with throttle.attempt(email=email, address=address):
            raise NotSignedIn("Email or password is wrong.")


async def _wait_asked(throttle: SignInThrottle, email: str) -> int:
    with pytest.raises(TooManySignIns) as refused:
        async with throttle.attempt(email=email, address="198.51.100.1"):
            pass
    return refused.value.retry_after


async def test_the_wait_grows_with_each_tier_of_failures(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    throttle = SignInThrottle(
        MemoryStorage(), per_account="5/minute;10/15 minutes;30/day", per_address="1000/day"
    )
    for _ in range(5):
        await _fail(throttle, "ana@example.com")
    first_wait = await _wait_asked(throttle, "ana@example.com")
    now[0] += first_wait
    for _ in range(5):
        await _fail(throttle, "ana@example.com")

    second_wait = await _wait_asked(throttle, "ana@example.com")

    assert first_wait == 60
    assert second_wait == 15 * 60 - first_wait  # until the first failure leaves the 15 minutes
    with pytest.raises(TooManySignIns, match=r"Try again in 14 minutes\."):
        async with throttle.attempt(email="ana@example.com", address="198.51.100.1"):
            pass


@pytest.fixture
async def redis_settings() -> Settings:
    return Settings(
        sign_in_redis_url=REDIS_URL, sign_in_redis_prefix=f"test:signin:{secrets.token_hex(6)}"
    )


async def test_app_processes_sharing_a_redis_share_the_counts(
    app, client, databases, redis_settings
):
    this_process = SignInThrottle.from_settings(redis_settings)
    other_process = SignInThrottle.from_settings(redis_settings)
    usual, app.state.sign_in_throttle = app.state.sign_in_throttle, this_process
    shopper = await factories.shopper(databases, "US")
    try:
        for _ in range(5):
            assert (await _api(client, shopper.email)).status_code == 401

        assert await _wait_asked(other_process, shopper.email) > 0
        assert (await _api(client, shopper.email, factories.PASSWORD)).status_code == 429
    finally:
        app.state.sign_in_throttle = usual
        await this_process.forget_all()
        await this_process.close()
        await other_process.close()
