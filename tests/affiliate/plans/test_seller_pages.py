"""Seller Center → Affiliate, driven the way a merchant's browser drives it: sign in through
the form, post the forms with the page's CSRF token, read what the pages then show."""

from datetime import timedelta

from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.plans.models import Invitation, OpenPlan
from shoptide.affiliate.samples import service as samples
from shoptide.db import utcnow
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import row
from tests.affiliate.support import count
from tests.pages import sign_in_merchant, sign_in_shopper


def invite_form(token: str, handle: str, *product_ids: int, **fields: str) -> dict[str, object]:
    in_a_month = (utcnow() + timedelta(days=30)).date().isoformat()
    return {
        "csrf_token": token,
        "handle": handle,
        "rate": "20",
        "product_ids": [str(p) for p in product_ids],
        "expires_on": in_a_month,
        "samples_offered": "yes",
        "message": "Love your videos!",
        **fields,
    }


async def test_a_merchant_sets_a_shop_rate_and_a_product_rate_then_ends_one(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen Shirt")
    token = await sign_in_merchant(client, shop.email)

    assert 'href="/seller/affiliate"' in (await client.get("/seller")).text
    shop_rate = await client.post(
        "/seller/affiliate/rates", data={"csrf_token": token, "product_id": "0", "rate": "12.5"}
    )
    own_rate = await client.post(
        "/seller/affiliate/rates",
        data={"csrf_token": token, "product_id": str(item.id), "rate": "20%"},
    )

    assert shop_rate.status_code == own_rate.status_code == 303
    page = await client.get("/seller/affiliate")
    assert "pays creators <strong>12.5%</strong>" in page.text
    assert "Linen Shirt" in row(page.text, f"rate-{item.id}")
    assert "20%" in row(page.text, f"rate-{item.id}")
    assert 'href="/seller/affiliate/performance"' in page.text

    ended = await client.post(f"/seller/affiliate/rates/{item.id}/end", data={"csrf_token": token})
    assert ended.status_code == 303
    assert f'id="rate-{item.id}"' not in (await client.get("/seller/affiliate")).text


async def test_a_rate_outside_1_to_80_percent_is_refused_on_the_page(client, databases):
    shop = await factories.merchant(databases)
    token = await sign_in_merchant(client, shop.email)

    for typed, message in (
        ("0.5", "Commission rates run from 1% to 80%."),
        ("81", "Commission rates run from 1% to 80%."),
        ("abc", "Enter the commission rate as a percentage"),
    ):
        refused = await client.post(
            "/seller/affiliate/rates", data={"csrf_token": token, "product_id": "0", "rate": typed}
        )
        assert refused.status_code == 422
        assert message in refused.text
        assert f'value="{typed}"' in refused.text  # what was typed stays in the form
    assert await count(databases, OpenPlan) == 0


async def test_a_rate_on_another_shops_product_is_refused(client, databases):
    mine, theirs = await factories.merchant(databases), await factories.merchant(databases)
    other = await factories.product(databases, theirs)
    token = await sign_in_merchant(client, mine.email)

    refused = await client.post(
        "/seller/affiliate/rates",
        data={"csrf_token": token, "product_id": str(other.id), "rate": "10"},
    )

    assert refused.status_code == 404
    assert f"Product {other.id} is not one of your shop&#39;s products." in refused.text
    assert await count(databases, OpenPlan) == 0


async def test_a_merchant_invites_a_creator_and_withdraws_the_invitation(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen Shirt")
    who = await affiliate.creator(databases, handle="maya_styles")
    token = await sign_in_merchant(client, shop.email)

    sent = await client.post(
        "/seller/affiliate/invitations", data=invite_form(token, "@Maya_Styles", item.id)
    )

    assert sent.status_code == 303
    page = await client.get("/seller/affiliate/invitations")
    listed = row(page.text, "invitation-1")
    assert "@maya_styles" in listed and "20%" in listed and "Linen Shirt" in listed
    assert "Invited" in listed and "Offered" in listed
    async with databases.session(GLOBAL_CELL, write=False) as session:
        (view,) = await plans.creator_invitations(session, creator_id=who.id)
    assert view.invitation.message == "Love your videos!"

    withdrawn = await client.post(
        "/seller/affiliate/invitations/1/withdraw", data={"csrf_token": token}
    )
    assert withdrawn.status_code == 303
    assert "Withdrawn" in row(
        (await client.get("/seller/affiliate/invitations")).text, "invitation-1"
    )


async def test_bad_invitations_are_refused_with_the_reason_and_nothing_written(client, databases):
    shop, theirs = await factories.merchant(databases), await factories.merchant(databases)
    item = await factories.product(databases, shop)
    other = await factories.product(databases, theirs)
    await affiliate.creator(databases, handle="maya_styles")
    token = await sign_in_merchant(client, shop.email)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()

    cases = [
        (invite_form(token, "nobody_here", item.id), 404, "There is no creator with the code"),
        (invite_form(token, "maya_styles", item.id, rate="90"), 422, "run from 1% to 80%"),
        (invite_form(token, "maya_styles", other.id), 404, f"Product {other.id} is not one of"),
        (invite_form(token, "maya_styles"), 422, "at least one product"),
        (invite_form(token, "maya_styles", item.id, expires_on=yesterday), 422, "in the future"),
        (invite_form(token, "maya_styles", item.id, expires_on=""), 422, "expires"),
    ]
    for form, status, message in cases:
        refused = await client.post("/seller/affiliate/invitations", data=form)
        assert refused.status_code == status, message
        assert message in refused.text
    assert await count(databases, Invitation) == 0


async def test_a_merchant_never_sees_or_changes_another_shops_affiliate_program(client, databases):
    shop, stranger = await factories.merchant(databases), await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Secret Shirt")
    await affiliate.open_rate(databases, shop.shop_id, 1500, product_id=item.id)
    who = await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, who, [item.id], samples=True, accepted=True
    )
    sample = await affiliate.sample_request(databases, who, invitation_id, item.id)
    token = await sign_in_merchant(client, stranger.email)

    for path in ("/seller/affiliate", "/seller/affiliate/invitations", "/seller/affiliate/samples"):
        assert "Secret Shirt" not in (await client.get(path)).text
    for action in (
        f"/seller/affiliate/invitations/{invitation_id}/withdraw",
        f"/seller/affiliate/samples/{sample.id}/approve",
        f"/seller/affiliate/rates/{item.id}/end",
    ):
        refused = await client.post(action, data={"csrf_token": token})
        assert refused.status_code == 404, action
    async with databases.session(GLOBAL_CELL, write=False) as session:
        (view,) = await plans.shop_invitations(session, shop_id=shop.shop_id)
        (sample_view,) = await samples.for_shop(session, shop_id=shop.shop_id)
        (rate,) = await plans.list_open(session, shop_id=shop.shop_id)
    assert view.status == "accepted" and sample_view.sample.status == "requested"
    assert rate.rate_bp == 1500


async def test_shoppers_are_kept_out_of_seller_affiliate_pages(client, databases):
    shopper = await factories.shopper(databases)
    token = await sign_in_shopper(client, shopper)
    assert (await client.get("/seller/affiliate")).status_code == 403
    refused = await client.post(
        "/seller/affiliate/rates", data={"csrf_token": token, "product_id": "0", "rate": "10"}
    )
    assert refused.status_code == 403
    assert await count(databases, OpenPlan) == 0
