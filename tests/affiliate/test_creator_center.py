"""Creator Center is for creators: shoppers and merchants are kept out of every page."""

from tests import factories
from tests.affiliate.pages import CREATOR_PAGES
from tests.pages import sign_in_merchant, sign_in_shopper


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
