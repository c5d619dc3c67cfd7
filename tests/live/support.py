"""What the live room tests share: a room that is live, signed-in page clients, and a
WebSocket client that talks ASGI to the app in the test's own event loop (httpx has none,
and Starlette's TestClient runs the app in a thread with a loop of its own)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from shoptide.db import Databases, utcnow
from shoptide.live import rooms
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.pages import sign_in_merchant, sign_in_shopper

WAIT_S = 5.0


class Refused(Exception):
    """The app closed the socket before accepting it."""

    def __init__(self, code: int) -> None:
        super().__init__(f"refused with close code {code}")
        self.code = code


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"closed with code {code}")
        self.code = code


class AsgiSocket:
    """A WebSocket client speaking ASGI to the app directly, with the cookie it is given."""

    def __init__(self, app: FastAPI, path: str, *, cookie: str | None = None, origin: str = ""):
        headers = [(b"host", b"testserver")]
        if cookie:
            headers.append((b"cookie", f"shoptide={cookie}".encode()))
        if origin:
            headers.append((b"origin", origin.encode()))
        self._scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "ws",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
        }
        self._app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        try:
            await self._app(self._scope, self._to_app.get, self._from_app.put)
        finally:
            await self._from_app.put({"type": "app.finished"})

    async def __aenter__(self) -> "AsgiSocket":
        self._task = asyncio.create_task(self._run())
        await self._to_app.put({"type": "websocket.connect"})
        first = await asyncio.wait_for(self._from_app.get(), WAIT_S)
        if first["type"] == "websocket.close":
            raise Refused(first.get("code", 1000))
        assert first["type"] == "websocket.accept", first
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        assert self._task is not None
        try:
            await asyncio.wait_for(self._task, WAIT_S)
        except TimeoutError:
            self._task.cancel()
            raise

    async def send(self, message: dict[str, Any]) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self, within: float = WAIT_S) -> dict[str, Any]:
        event = await asyncio.wait_for(self._from_app.get(), within)
        if event["type"] == "websocket.send":
            return json.loads(event["text"])
        raise Closed(event.get("code", 1000))

    async def next(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The next message of the kind (matching `where`), skipping the others."""
        async with asyncio.timeout(WAIT_S):
            while True:
                message = await self.receive()
                if message["type"] == kind and where(message):
                    return message

    async def until(self, kind: str) -> list[dict[str, Any]]:
        """Every message up to and including the next one of the kind."""
        got = []
        async with asyncio.timeout(WAIT_S):
            while not got or got[-1]["type"] != kind:
                got.append(await self.receive())
        return got

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds`."""
        got = []
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(await self.receive(within=seconds))
        return got


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = WAIT_S) -> None:
    """Wait until `condition` holds (checked every 50 ms), or fail."""
    for _ in range(int(within / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{condition.__name__} did not come true in {within} s")


@dataclass
class LiveRoom:
    id: int
    public_name: str
    key: str
    host: factories.Merchant
    products: list[factories.ProductRef]

    @property
    def path(self) -> str:
        return f"/live/{self.public_name}"

    @property
    def socket(self) -> str:
        return f"/live/{self.public_name}/ws"


async def room(
    databases: Databases,
    *,
    market: str = "US",
    live: bool = True,
    products: int = 2,
    host: factories.Merchant | None = None,
    selling: list[factories.ProductRef] | None = None,
) -> LiveRoom:
    """A room of a new shop selling `products` products (or the host's `selling`); live
    unless told otherwise."""
    host = host or await factories.merchant(databases)
    made = selling or [
        await factories.product(databases, host, prices={market: 1500 + n}, stock={market: 9})
        for n in range(products)
    ]
    cell = databases.settings.cell_of_market(market)
    async with databases.session(GLOBAL_CELL) as global_, databases.session(cell) as session:
        scheduled, key = await rooms.schedule(
            session,
            global_,
            host_user_id=host.id,
            shop_id=host.shop_id,
            market=market,
            title="Spring drop",
            scheduled_at=utcnow(),
            product_ids=[p.id for p in made],
        )
        if live:
            await rooms.begin_publishing(session, public_name=scheduled.public_name, key=key)
    return LiveRoom(scheduled.id, scheduled.public_name, key, host, made)


@contextlib.asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own (its own cookies), like a second browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def cookie_of_shopper(app: FastAPI, account: factories.Account) -> str:
    async with browser(app) as client:
        await sign_in_shopper(client, account)
        return client.cookies["shoptide"]


async def cookie_of_merchant(app: FastAPI, email: str) -> str:
    async with browser(app) as client:
        await sign_in_merchant(client, email)
        return client.cookies["shoptide"]
