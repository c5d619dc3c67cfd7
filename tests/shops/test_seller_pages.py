"""Seller Center → the shop switcher and Staff."""

from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service
from tests import factories
from tests.orders.support import paid_order
from tests.pages import sign_in_merchant


async def test_owner_adds_staff_but_staff_cannot(client, databases):
    owner = await factories.merchant(databases)
    token = await sign_in_merchant(client, owner.email)
    added = await client.post(
        "/seller/staff",
        data={
            "csrf_token": token,
            "display_name": "Sam Staff",
            "email": "sam@example.com",
            "password": "sam's long password",
            "role": "staff",
        },
    )
    assert added.status_code == 303, added.text

    token = await sign_in_merchant(client, "sam@example.com", "sam's long password")
    page = await client.get("/seller/staff")
    attempt = await client.post(
        "/seller/staff",
        data={
            "csrf_token": token,
            "display_name": "Eve",
            "email": "eve@example.com",
            "password": "eve's long password",
            "role": "owner",
        },
    )

    assert "Only owners can add staff" in page.text and "Sam Staff" in page.text
    assert attempt.status_code == 403
    assert "Only a shop owner can add staff." in attempt.text
    assert "eve@example.com" not in (await client.get("/seller/staff")).text


async def test_a_merchant_switches_to_another_of_their_shops(client, databases):
    shop = await factories.merchant(databases, shop_name="Alpha Apparel")
    await paid_order(client, databases, shop, "US")
    async with databases.session(GLOBAL_CELL) as session:
        other = await shops_service.create(
            session, name="Beta Boutique", home_market="US", owner_id=shop.id
        )
    token = await sign_in_merchant(client, shop.email)

    dashboard = await client.get("/seller")
    assert 'id="shop-name">Alpha Apparel<' in dashboard.text
    assert 'id="count-paid">1<' in dashboard.text
    switched = await client.post("/seller/shop", data={"csrf_token": token, "shop_id": other.id})

    assert switched.status_code == 303
    dashboard = await client.get("/seller")
    assert 'id="shop-name">Beta Boutique<' in dashboard.text
    assert 'id="count-paid">0<' in dashboard.text  # the other shop's orders, not Alpha's
    assert "You are now working in Beta Boutique." in dashboard.text


async def test_a_merchant_cannot_switch_to_a_shop_they_are_not_in(client, databases):
    mine = await factories.merchant(databases, shop_name="Alpha Apparel")
    theirs = await factories.merchant(databases, shop_name="Gamma Goods")
    token = await sign_in_merchant(client, mine.email)

    refused = await client.post(
        "/seller/shop", data={"csrf_token": token, "shop_id": theirs.shop_id}
    )

    assert refused.status_code == 403
    assert 'id="shop-name">Alpha Apparel<' in (await client.get("/seller")).text
