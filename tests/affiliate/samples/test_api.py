"""The samples JSON API: a creator asks, the shop approves and ships."""

from tests import factories
from tests.affiliate import factories as affiliate


async def test_samples_through_the_api(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    body = {"invitation_id": invitation_id, "product_id": item.id, "ship_to": "1 Main Street"}

    asked = await client.post("/api/v1/creator/samples", json=body, headers=who.headers)
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    twice = await client.post("/api/v1/creator/samples", json=body, headers=who.headers)
    assert twice.status_code == 409
    sample_id = asked.json()["id"]
    base = f"/api/v1/seller/affiliate/samples/{sample_id}"
    early = await client.post(f"{base}/ship", json={"tracking_number": "1Z"}, headers=shop.headers)
    assert early.status_code == 409
    assert (await client.post(f"{base}/approve", headers=shop.headers)).json()["status"] == (
        "approved"
    )
    shipped = await client.post(
        f"{base}/ship", json={"carrier": "UPS", "tracking_number": "1Z9"}, headers=shop.headers
    )
    assert shipped.json()["status"] == "shipped"
    mine = await client.get("/api/v1/creator/samples", headers=who.headers)
    assert [(s["status"], s["tracking_number"]) for s in mine.json()] == [("shipped", "1Z9")]
