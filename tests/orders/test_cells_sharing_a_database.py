"""Cells may share one database (residency is configuration): here "main" (US) and "sea"
(ID) are one SQLite file (the `shared_cells` fixture). A shop's orders are then listed once
and counted once: a loop over every cell *name* would read that file twice and show each
order twice."""

import re

from shoptide.orders import flows
from tests import factories
from tests.orders.support import paid_order
from tests.pages import sign_in_merchant


async def _shop_with_an_order_in_each_market(client, databases):
    shop = await factories.merchant(databases)
    _, us_order = await paid_order(client, databases, shop, "US")
    _, id_order = await paid_order(client, databases, shop, "ID")
    return shop, {f"US-{us_order:06d}", f"ID-{id_order:06d}"}


async def test_the_two_cells_really_are_one_database(shared_cells):
    _, databases = shared_cells

    assert databases.settings.cells == ["main", "sea"]
    assert databases.url("main") == databases.url("sea")
    assert databases.each_cell() == ["main"]


async def test_a_shops_orders_are_listed_once(shared_cells):
    client, databases = shared_cells
    shop, numbers = await _shop_with_an_order_in_each_market(client, databases)

    listing = await flows.shop_orders_page(databases, shop_id=shop.shop_id)
    api = await client.get("/api/v1/seller/orders", headers=shop.headers)
    await sign_in_merchant(client, shop.email)
    page = await client.get("/seller/orders")

    assert len(listing.orders) == 2
    assert sorted(f"{o['market']}-{o['id']:06d}" for o in api.json()) == sorted(numbers)
    links = re.findall(r'<a href="/seller/orders/(?:US|ID)/\d+">([A-Z]{2}-\d{6})</a>', page.text)
    assert sorted(links) == sorted(numbers)  # one row each


async def test_the_dashboard_counts_each_order_once(shared_cells):
    client, databases = shared_cells
    shop, _ = await _shop_with_an_order_in_each_market(client, databases)

    counts = await flows.count_by_status(databases, shop_id=shop.shop_id)
    await sign_in_merchant(client, shop.email)
    dashboard = await client.get("/seller")

    assert counts == {"paid": 2}
    assert 'id="count-paid">2<' in dashboard.text
