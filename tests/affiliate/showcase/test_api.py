"""The creators' marketplace and showcase through the JSON API."""

from shoptide.affiliate.marketplace.models import ShowcaseItem
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.support import count


async def test_the_creator_marketplace_and_showcase(client, databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    cheap = await factories.product(databases, shop, title="Cheap", prices={"US": 1000})
    dear = await factories.product(databases, shop, title="Dear", prices={"US": 5000})
    unpaid_shop = await factories.merchant(databases)
    unpaid = await factories.product(databases, unpaid_shop)
    who = await affiliate.creator(databases)

    found = await client.get("/api/v1/creator/marketplace", headers=who.headers)
    assert found.status_code == 200
    items = found.json()["items"]
    assert [i["title"] for i in items] == ["Dear", "Cheap"]
    assert items[0]["estimated_earnings"] == {
        "amount_minor": 500,
        "currency": "USD",
        "display": "$5.00",
    }
    filtered = await client.get(
        "/api/v1/creator/marketplace",
        params={"price_max": "20", "sort": "price"},
        headers=who.headers,
    )
    assert [i["product_id"] for i in filtered.json()["items"]] == [cheap.id]

    for product_id in (cheap.id, dear.id, cheap.id):
        added = await client.post(
            "/api/v1/creator/showcase", json={"product_id": product_id}, headers=who.headers
        )
        assert added.status_code == 200
    assert [p["title"] for p in added.json()] == ["Cheap", "Dear"]
    refused = await client.post(
        "/api/v1/creator/showcase", json={"product_id": unpaid.id}, headers=who.headers
    )
    assert refused.status_code == 422 and "no commission" in refused.json()["error"]["message"]
    moved = await client.post(
        f"/api/v1/creator/showcase/{dear.id}/move", json={"direction": "up"}, headers=who.headers
    )
    assert [p["title"] for p in moved.json()] == ["Dear", "Cheap"]
    removed = await client.delete(f"/api/v1/creator/showcase/{dear.id}", headers=who.headers)
    assert removed.status_code == 204
    shown = await client.get("/api/v1/creator/showcase", headers=who.headers)
    assert [p["product_id"] for p in shown.json()] == [cheap.id]
    assert await count(databases, ShowcaseItem) == 1
