"""Cells may share one database (residency is configuration): here "main" (US) and "sea"
(ID) are one SQLite file. A shop's orders are then listed once and counted once: a loop
over every cell *name* would read that file twice and show each order twice."""

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from shoptide.app import create_app
from shoptide.db import Databases, upgrade_all
from shoptide.markets import service as markets_service
from shoptide.orders import flows
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.conftest import make_settings
from tests.orders.support import paid_order
from tests.pages import sign_in_merchant


@pytest.fixture(scope="module")
async def shared_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    """An app whose two market cells are one database (SQLite whatever the suite's backend:
    the point is the configuration, not the engine)."""
    data_dir = tmp_path_factory.mktemp("shared-cells")
    one_database = f"sqlite+aiosqlite:///{data_dir / 'cells.db'}"
    settings = make_settings(data_dir, {"main": one_database, "sea": one_database})
    await asyncio.to_thread(upgrade_all, settings)
    app = create_app(settings)
    async with app.state.databases.session(GLOBAL_CELL) as session:
        await markets_service.ensure_defaults(session)
    yield app
    await app.state.databases.dispose()


@pytest.fixture
async def shared(shared_app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, Databases]]:
    transport = httpx.ASGITransport(app=shared_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, shared_app.state.databases


async def _shop_with_an_order_in_each_market(client, databases):
    shop = await factories.merchant(databases)
    _, us_order = await paid_order(client, databases, shop, "US")
    _, id_order = await paid_order(client, databases, shop, "ID")
    return shop, {f"US-{us_order:06d}", f"ID-{id_order:06d}"}


async def test_the_two_cells_really_are_one_database(shared):
    _, databases = shared

    assert databases.settings.cells == ["main", "sea"]
    assert databases.url("main") == databases.url("sea")
    assert databases.each_cell() == ["main"]


async def test_a_shops_orders_are_listed_once(shared):
    client, databases = shared
    shop, numbers = await _shop_with_an_order_in_each_market(client, databases)

    listing = await flows.shop_orders_page(databases, shop_id=shop.shop_id)
    api = await client.get("/api/v1/seller/orders", headers=shop.headers)
    await sign_in_merchant(client, shop.email)
    page = await client.get("/seller/orders")

    assert len(listing.orders) == 2
    assert sorted(f"{o['market']}-{o['id']:06d}" for o in api.json()) == sorted(numbers)
    links = re.findall(r'<a href="/seller/orders/(?:US|ID)/\d+">([A-Z]{2}-\d{6})</a>', page.text)
    assert sorted(links) == sorted(numbers)  # one row each


async def test_the_dashboard_counts_each_order_once(shared):
    client, databases = shared
    shop, _ = await _shop_with_an_order_in_each_market(client, databases)

    counts = await flows.count_by_status(databases, shop_id=shop.shop_id)
    await sign_in_merchant(client, shop.email)
    dashboard = await client.get("/seller")

    assert counts == {"paid": 2}
    assert 'id="count-paid">2<' in dashboard.text
