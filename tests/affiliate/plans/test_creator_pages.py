"""Creator Center → Invitations, driven the way a creator's browser drives it."""

from shoptide.affiliate.plans.models import Invitation
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import row, section
from tests.affiliate.support import count


async def test_a_creator_accepts_an_invitation_and_its_rate_shows_in_the_marketplace(
    client, databases
):
    shop = await factories.merchant(databases, shop_name="Linen Co")
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    item = await factories.product(databases, shop, title="Linen Shirt", prices={"US": 2000})
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], rate_bp=3000
    )
    token = await affiliate.sign_in_creator(client, who)

    listed = section((await client.get("/creator/invitations")).text, f"invitation-{invitation_id}")
    assert "Linen Co" in listed and "30%" in listed and "Linen Shirt" in listed
    assert "10%" in row((await client.get("/creator/marketplace")).text, f"offer-{item.id}")

    accepted = await client.post(
        f"/creator/invitations/{invitation_id}/accept", data={"csrf_token": token}
    )

    assert accepted.status_code == 303
    offer = row((await client.get("/creator/marketplace")).text, f"offer-{item.id}")
    assert "30%" in offer and "Invitation" in offer and "$6.00" in offer
    listed = section((await client.get("/creator/invitations")).text, f"invitation-{invitation_id}")
    assert "Accepted" in listed and 'action="/creator/showcase"' in listed


async def test_an_expired_invitation_cannot_be_accepted_on_the_page(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(databases, shop.shop_id, who, [item.id])
    await affiliate.expire(databases, invitation_id)
    token = await affiliate.sign_in_creator(client, who)

    refused = await client.post(
        f"/creator/invitations/{invitation_id}/accept", data={"csrf_token": token}
    )

    assert refused.status_code == 422
    assert "This invitation expired on" in refused.text
    async with databases.session(GLOBAL_CELL, write=False) as session:
        found = await session.get(Invitation, invitation_id)
    assert found is not None and found.status == "invited" and found.responded_at is None


async def test_a_creator_never_sees_or_answers_another_creators_invitations(client, databases):
    shop = await factories.merchant(databases, shop_name="Secret Shop")
    item = await factories.product(databases, shop)
    invited, stranger = await affiliate.creator(databases), await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, invited, [item.id], samples=True, accepted=True
    )
    await affiliate.sample_request(databases, invited, invitation_id, item.id)
    token = await affiliate.sign_in_creator(client, stranger)

    for path in ("/creator/invitations", "/creator/samples"):
        assert "Secret Shop" not in (await client.get(path)).text
    declined = await client.post(
        f"/creator/invitations/{invitation_id}/decline", data={"csrf_token": token}
    )
    assert declined.status_code == 404
    asked = await client.post(
        "/creator/samples",
        data={"csrf_token": token, "choice": f"{invitation_id}:{item.id}", "ship_to": "Here"},
    )
    assert asked.status_code == 404
    async with databases.session(GLOBAL_CELL, write=False) as session:
        found = await session.get(Invitation, invitation_id)
    assert found is not None and found.status == "accepted"
    assert await count(databases, SampleRequest) == 1
