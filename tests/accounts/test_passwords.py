"""Passwords are hashed and checked off the event loop: at the production cost one check is
tens of milliseconds of CPU and 64 MiB, which on the loop would hold up every other request
of the process (bench/login_stall.py measures by how much)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher


@pytest.fixture
def argon2_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the threads argon2 hashes and verifies in, from now on."""
    seen: list[int] = []

    def recorded(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: PasswordHasher, *args: Any, **kwargs: Any) -> Any:
            seen.append(threading.get_ident())
            return original(self, *args, **kwargs)

        return run

    for name in ("hash", "verify"):
        monkeypatch.setattr(PasswordHasher, name, recorded(getattr(PasswordHasher, name)))
    return seen


async def test_signing_up_and_bad_sign_ins_check_passwords_off_the_event_loop(
    client, databases, argon2_threads
):
    the_loops_thread = threading.get_ident()
    signed_up = await client.post(
        "/api/v1/auth/register",
        json={
            "market": "US",
            "email": "new.shopper@example.com",
            "password": "long enough pw",
            "display_name": "New Shopper",
        },
    )
    wrong = {"email": "new.shopper@example.com", "password": "a guess", "market": "US"}
    unknown = {**wrong, "email": "nobody@example.com"}  # checked against a dummy hash

    refused = [
        (await client.post("/api/v1/auth/token", json=body)).status_code
        for body in (wrong, unknown)
    ]

    assert signed_up.status_code == 201, signed_up.text
    assert refused == [401, 401]
    assert len(argon2_threads) == 3  # one hash, two checks
    assert the_loops_thread not in argon2_threads
