"""Creator Center → Showcase, driven the way a creator's browser drives it."""

from shoptide.affiliate.marketplace.models import ShowcaseItem
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import row
from tests.affiliate.support import count


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
