"""Creator Center → Marketplace, driven the way a creator's browser drives it."""

from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import CREATOR_PAGES, row


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
