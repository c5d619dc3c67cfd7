"""The signed session cookie's sign-in: who is signed in ("uid" and their "cell", which
deps.optional_user reads back). Shoppers' and merchants' sign-in (accounts) and creators'
sign-up (creators) start one the same way.

What a shopper's visit left in their session before they signed in (a creator's link they
followed) is handed to the steps the app registers in `app.state.on_shopper_sign_in`: the
domains that keep such things stand above accounts, which signs shoppers in."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Request

from shoptide.db import Databases

# (databases, what the visitor's session held, the shopper's user id, their cell)
ShopperSignedIn = Callable[[Databases, Mapping[str, Any], int, str], Awaitable[None]]


def sign_in(request: Request, user_id: int, cell: str) -> None:
    """Start a signed-in session: a fresh one (no fixation) that keeps the CSRF token and
    the market the visitor picked."""
    csrf = request.session.get("csrf")
    market = request.session.get("market")
    request.session.clear()  # a fresh session on sign-in (no fixation)
    request.session.update({"uid": user_id, "cell": cell, "csrf": csrf, "market": market})


async def sign_in_shopper(request: Request, user_id: int, cell: str) -> None:
    """Sign a shopper in, then run the app's `on_shopper_sign_in` steps with their visit."""
    visit = dict(request.session)
    sign_in(request, user_id, cell)
    steps: tuple[ShopperSignedIn, ...] = getattr(request.app.state, "on_shopper_sign_in", ())
    for step in steps:
        await step(request.app.state.databases, visit, user_id, cell)
