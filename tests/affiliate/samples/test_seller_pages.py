"""Seller Center → Affiliate → Samples, driven the way a merchant's browser drives it."""

from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import row
from tests.pages import sign_in_merchant


async def test_a_merchant_approves_and_ships_a_sample(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen Shirt")
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    sample = await affiliate.sample_request(
        databases, who, invitation_id, item.id, ship_to="1 Main Street, Springfield"
    )
    token = await sign_in_merchant(client, shop.email)
    base = f"/seller/affiliate/samples/{sample.id}"

    listed = row((await client.get("/seller/affiliate/samples")).text, f"sample-{sample.id}")
    assert "Linen Shirt" in listed and "1 Main Street" in listed and "Requested" in listed
    early = await client.post(
        f"{base}/ship", data={"csrf_token": token, "carrier": "UPS", "tracking_number": "1Z"}
    )
    assert early.status_code == 409 and "Approve this sample request before" in early.text
    assert (await client.post(f"{base}/approve", data={"csrf_token": token})).status_code == 303
    again = await client.post(f"{base}/reject", data={"csrf_token": token})
    assert again.status_code == 409 and "approved already" in again.text
    shipped = await client.post(
        f"{base}/ship", data={"csrf_token": token, "carrier": "UPS", "tracking_number": "1Z999"}
    )
    assert shipped.status_code == 303
    listed = row((await client.get("/seller/affiliate/samples")).text, f"sample-{sample.id}")
    assert "Shipped" in listed and "UPS 1Z999" in listed
