"""Creator Center → Invitations, driven the way a creator's browser drives it."""

import re

from sqlalchemy import func, select

from shoptide.affiliate.plans.models import Invitation
from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.db import Base, Databases
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate


async def count(databases: Databases, model: type[Base]) -> int:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">.*?</tr>', html, re.S)
    assert found, f"no row {row_id}"
    return found.group(0)


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="invitation" id="{section_id}">.*?</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


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
    async with databases.session(GLOBAL_CELL) as session:
        await samples.request(
            session,
            creator_id=invited.id,
            invitation_id=invitation_id,
            product_id=item.id,
            ship_to="1 Main Street",
        )
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
