"""Creator Center pages (marketplace, showcase, invitations, samples), driven the way a
creator's browser drives them."""

import re

from sqlalchemy import func, select

from shoptide.affiliate import plans
from shoptide.affiliate.models import Invitation, SampleRequest, ShowcaseItem
from shoptide.db import Base, Databases
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.pages import sign_in_merchant, sign_in_shopper

CREATOR_PAGES = (
    "/creator/marketplace",
    "/creator/showcase",
    "/creator/invitations",
    "/creator/samples",
)


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


async def test_the_marketplace_shows_price_rate_and_earnings_in_the_creators_market(
    client, databases
):
    shop = await factories.merchant(databases, shop_name="Linen Co")
    await affiliate.open_rate(databases, shop.shop_id, 1250)
    shirt = await factories.product(
        databases, shop, title="Linen Shirt", prices={"US": 1999, "ID": 150000}
    )
    dress = await factories.product(
        databases, shop, title="Linen Dress", prices={"ID": 400000}, stock={}
    )
    who = await affiliate.creator(databases, "ID")
    await affiliate.sign_in_creator(client, who)

    page = await client.get("/creator/marketplace")

    assert page.status_code == 200
    shirt_row = row(page.text, f"offer-{shirt.id}")
    assert "Linen Co" in shirt_row and "12.5%" in shirt_row
    assert "Rp" in shirt_row and "150.000" in shirt_row  # Indonesian rupiah, Indonesian style
    assert "18.750" in shirt_row  # 150000 x 12.5%
    # the dearer dress earns more per sale, so it comes first
    assert page.text.index(f"offer-{dress.id}") < page.text.index(f"offer-{shirt.id}")
    for link in CREATOR_PAGES:
        assert f'href="{link}"' in page.text


async def test_marketplace_filters_from_the_form(client, databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    cheap = await factories.product(databases, shop, title="Cheap Tee", prices={"US": 900})
    dear = await factories.product(databases, shop, title="Dear Coat", prices={"US": 9900})
    who = await affiliate.creator(databases)
    await affiliate.sign_in_creator(client, who)

    found = await client.get("/creator/marketplace", params={"price_max": "10", "sort": "price"})
    assert f"offer-{cheap.id}" in found.text and f"offer-{dear.id}" not in found.text
    refused = await client.get("/creator/marketplace", params={"min_rate": "95"})
    assert refused.status_code == 422
    assert "Commission rates run from 1% to 80%." in refused.text


async def test_a_creator_adds_a_product_to_the_showcase_then_orders_and_removes(client, databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    first = await factories.product(databases, shop, title="First")
    second = await factories.product(databases, shop, title="Second")
    who = await affiliate.creator(databases)
    token = await affiliate.sign_in_creator(client, who)

    for item in (first, second, first):  # the second add of "First" changes nothing
        added = await client.post(
            "/creator/showcase",
            data={"csrf_token": token, "product_id": str(item.id), "back": "/creator/marketplace?"},
        )
        assert added.status_code == 303
        assert added.headers["location"] == "/creator/marketplace?"
    assert "On your showcase" in row(
        (await client.get("/creator/marketplace")).text, f"offer-{first.id}"
    )
    showcase = await client.get("/creator/showcase")
    assert showcase.text.index("First") < showcase.text.index("Second")
    assert await count(databases, ShowcaseItem) == 2

    moved = await client.post(
        f"/creator/showcase/{second.id}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert moved.status_code == 303
    showcase = await client.get("/creator/showcase")
    assert showcase.text.index("Second") < showcase.text.index("First")

    removed = await client.post(f"/creator/showcase/{first.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert f'id="showcase-{first.id}"' not in (await client.get("/creator/showcase")).text


async def test_a_product_that_pays_no_commission_cannot_join_the_showcase(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    who = await affiliate.creator(databases)
    token = await affiliate.sign_in_creator(client, who)

    refused = await client.post(
        "/creator/showcase", data={"csrf_token": token, "product_id": str(item.id)}
    )

    assert refused.status_code == 422
    assert "pays you no commission" in refused.text
    assert await count(databases, ShowcaseItem) == 0


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


async def test_a_creator_requests_a_sample_once_and_follows_it(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen Shirt")
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    token = await affiliate.sign_in_creator(client, who)
    form = {
        "csrf_token": token,
        "choice": f"{invitation_id}:{item.id}",
        "ship_to": "1 Main Street, Springfield",
    }

    page = await client.get("/creator/samples")
    assert f'value="{invitation_id}:{item.id}"' in page.text
    assert (await client.post("/creator/samples", data=form)).status_code == 303
    twice = await client.post("/creator/samples", data=form)
    assert twice.status_code == 409 and "already asked for a sample" in twice.text
    no_address = await client.post("/creator/samples", data={**form, "ship_to": " "})
    assert no_address.status_code == 422
    assert await count(databases, SampleRequest) == 1

    async with databases.session(GLOBAL_CELL) as session:
        (view,) = await plans.shop_samples(session, shop_id=shop.shop_id)
        await plans.decide_sample(
            session, shop_id=shop.shop_id, sample_id=view.sample.id, approve=True
        )
        await plans.ship_sample(
            session,
            shop_id=shop.shop_id,
            sample_id=view.sample.id,
            carrier="UPS",
            tracking_number="1Z9",
        )
    listed = row((await client.get("/creator/samples")).text, f"sample-{view.sample.id}")
    assert "Linen Shirt" in listed and "Shipped" in listed and "UPS 1Z9" in listed


async def test_a_creator_never_sees_or_answers_another_creators_invitations(client, databases):
    shop = await factories.merchant(databases, shop_name="Secret Shop")
    item = await factories.product(databases, shop)
    invited, stranger = await affiliate.creator(databases), await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, invited, [item.id], samples=True, accepted=True
    )
    async with databases.session(GLOBAL_CELL) as session:
        await plans.request_sample(
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


async def test_shoppers_and_merchants_are_kept_out_of_creator_center(client, databases):
    shopper = await factories.shopper(databases)
    merchant = await factories.merchant(databases)
    await sign_in_shopper(client, shopper)
    for path in CREATOR_PAGES:
        assert (await client.get(path)).status_code == 403, path

    token = await sign_in_merchant(client, merchant.email)  # a fresh session
    for path in CREATOR_PAGES:
        assert (await client.get(path)).status_code == 403, path
    refused = await client.post("/creator/showcase", data={"csrf_token": token, "product_id": "1"})
    assert refused.status_code == 403
