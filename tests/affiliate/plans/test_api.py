"""The plans JSON API: merchants' open plans and invitations, creators' answers; and who
reaches what (bearer tokens; ids of others are not found)."""

from datetime import timedelta

from shoptide.affiliate.plans.models import Invitation, OpenPlan
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.db import utcnow
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.support import count


def in_days(days: int) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


async def test_a_merchant_sets_reads_and_ends_open_rates(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen Shirt")

    shop_wide = await client.put(
        "/api/v1/seller/affiliate/plan", json={"rate_percent": "12.5"}, headers=shop.headers
    )
    product = await client.put(
        "/api/v1/seller/affiliate/plan",
        json={"product_id": item.id, "rate_percent": 20},
        headers=shop.headers,
    )

    assert shop_wide.status_code == product.status_code == 200
    rates = product.json()["rates"]
    assert [(r["product_id"], r["title"], r["rate_percent"]) for r in rates] == [
        (None, "", "12.5"),
        (item.id, "Linen Shirt", "20"),
    ]
    ended = await client.delete(
        f"/api/v1/seller/affiliate/plan/products/{item.id}", headers=shop.headers
    )
    assert ended.status_code == 204
    assert (
        await client.delete("/api/v1/seller/affiliate/plan/shop", headers=shop.headers)
    ).status_code == 204
    read = await client.get("/api/v1/seller/affiliate/plan", headers=shop.headers)
    assert read.json()["rates"] == []


async def test_bad_rates_and_other_shops_products_are_refused_and_nothing_written(
    client, databases
):
    shop, theirs = await factories.merchant(databases), await factories.merchant(databases)
    other = await factories.product(databases, theirs)

    for body in ({"rate_percent": "0.5"}, {"rate_percent": "80.5"}, {"rate_percent": "-3"}):
        refused = await client.put("/api/v1/seller/affiliate/plan", json=body, headers=shop.headers)
        assert refused.status_code == 422
        assert refused.json()["error"]["message"] == "Commission rates run from 1% to 80%."
    refused = await client.put(
        "/api/v1/seller/affiliate/plan",
        json={"product_id": other.id, "rate_percent": "10"},
        headers=shop.headers,
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == (
        f"Product {other.id} is not one of your shop's products."
    )
    assert await count(databases, OpenPlan) == 0


async def test_rates_the_api_document_does_not_allow_are_refused(client, databases):
    shop = await factories.merchant(databases)
    spec = (await client.get("/openapi.json")).json()["components"]["schemas"]

    for body in ("OpenRateIn", "InvitationCreate"):
        number, text = spec[body]["properties"]["rate_percent"]["anyOf"]
        assert (number["minimum"], number["maximum"], number["multipleOf"]) == (1, 80, 0.01)
        assert text["pattern"]
    for rate in ("1e1", "12.5%", " 12", "+12"):
        refused = await client.put(
            "/api/v1/seller/affiliate/plan", json={"rate_percent": rate}, headers=shop.headers
        )
        assert refused.status_code == 422
        assert "like 12.5" in refused.json()["error"]["message"]
    assert await count(databases, OpenPlan) == 0


async def test_invitations_from_a_merchant_to_a_creator_and_back(client, databases):
    shop = await factories.merchant(databases, shop_name="Linen Co")
    item = await factories.product(databases, shop, title="Linen Shirt")
    who = await affiliate.creator(databases, handle="maya_styles")

    sent = await client.post(
        "/api/v1/seller/affiliate/invitations",
        json={
            "creator": "@maya_styles",
            "rate_percent": "25",
            "product_ids": [item.id],
            "expires_at": in_days(30),
            "samples_offered": True,
            "message": "Hi!",
        },
        headers=shop.headers,
    )

    assert sent.status_code == 201, sent.text
    invitation = sent.json()
    assert invitation["creator"] == "maya_styles" and invitation["status"] == "invited"
    assert invitation["products"] == [{"product_id": item.id, "title": "Linen Shirt"}]
    mine = await client.get("/api/v1/creator/invitations", headers=who.headers)
    assert [(i["id"], i["shop_name"], i["rate_percent"]) for i in mine.json()] == [
        (invitation["id"], "Linen Co", "25")
    ]
    accepted = await client.post(
        f"/api/v1/creator/invitations/{invitation['id']}/accept", headers=who.headers
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    listed = await client.get("/api/v1/seller/affiliate/invitations", headers=shop.headers)
    assert listed.json()[0]["status"] == "accepted"
    withdrawn = await client.post(
        f"/api/v1/seller/affiliate/invitations/{invitation['id']}/withdraw", headers=shop.headers
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


async def test_bad_invitations_are_refused_with_a_clear_reason(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    await affiliate.creator(databases, handle="maya_styles")
    good = {
        "creator": "maya_styles",
        "rate_percent": "20",
        "product_ids": [item.id],
        "expires_at": in_days(30),
    }

    for change, status, message in (
        ({"creator": "nobody_here"}, 404, "There is no creator with the code 'nobody_here'."),
        ({"rate_percent": "81"}, 422, "Commission rates run from 1% to 80%."),
        ({"expires_at": in_days(-1)}, 422, "Choose an expiry date in the future."),
        ({"expires_at": in_days(400)}, 422, "An invitation can run for at most a year."),
    ):
        refused = await client.post(
            "/api/v1/seller/affiliate/invitations", json={**good, **change}, headers=shop.headers
        )
        assert refused.status_code == status
        assert refused.json()["error"]["message"] == message
    assert await count(databases, Invitation) == 0


async def test_an_expired_invitation_cannot_be_accepted(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(databases, shop.shop_id, who, [item.id])
    await affiliate.expire(databases, invitation_id)

    refused = await client.post(
        f"/api/v1/creator/invitations/{invitation_id}/accept", headers=who.headers
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("This invitation expired on ")
    listed = await client.get("/api/v1/creator/invitations", headers=who.headers)
    assert listed.json()[0]["status"] == "expired"


async def test_no_one_reaches_another_partys_plans_invitations_or_samples(client, databases):
    shop, stranger_shop = await factories.merchant(databases), await factories.merchant(databases)
    item = await factories.product(databases, shop)
    await affiliate.open_rate(databases, shop.shop_id, 1500, product_id=item.id)
    who, stranger = await affiliate.creator(databases), await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    asked = await client.post(
        "/api/v1/creator/samples",
        json={"invitation_id": invitation_id, "product_id": item.id, "ship_to": "Here"},
        headers=who.headers,
    )
    sample_id = asked.json()["id"]

    theirs = stranger_shop.headers
    assert (await client.get("/api/v1/seller/affiliate/plan", headers=theirs)).json()["rates"] == []
    assert (await client.get("/api/v1/seller/affiliate/invitations", headers=theirs)).json() == []
    assert (await client.get("/api/v1/seller/affiliate/samples", headers=theirs)).json() == []
    for path in (
        f"/api/v1/seller/affiliate/invitations/{invitation_id}/withdraw",
        f"/api/v1/seller/affiliate/samples/{sample_id}/approve",
    ):
        assert (await client.post(path, headers=theirs)).status_code == 404, path
    gone = await client.delete(f"/api/v1/seller/affiliate/plan/products/{item.id}", headers=theirs)
    assert gone.status_code == 404

    assert (await client.get("/api/v1/creator/invitations", headers=stranger.headers)).json() == []
    assert (await client.get("/api/v1/creator/samples", headers=stranger.headers)).json() == []
    declined = await client.post(
        f"/api/v1/creator/invitations/{invitation_id}/decline", headers=stranger.headers
    )
    assert declined.status_code == 404
    assert await count(databases, SampleRequest) == 1
    listed = await client.get("/api/v1/seller/affiliate/invitations", headers=shop.headers)
    assert listed.json()[0]["status"] == "accepted"


async def test_each_side_keeps_to_its_own_api(client, databases):
    shopper = await factories.shopper(databases)
    shop = await factories.merchant(databases)
    who = await affiliate.creator(databases)

    for headers in (shopper.headers, shop.headers):
        assert (await client.get("/api/v1/creator/marketplace", headers=headers)).status_code == 403
        assert (await client.get("/api/v1/creator/invitations", headers=headers)).status_code == 403
    for headers in (shopper.headers, who.headers):
        assert (
            await client.get("/api/v1/seller/affiliate/plan", headers=headers)
        ).status_code == 403
    assert (await client.get("/api/v1/creator/showcase")).status_code == 401
