"""Creator Center → Samples, driven the way a creator's browser drives it."""

from shoptide.affiliate.samples import service as samples
from shoptide.affiliate.samples.models import SampleRequest
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.affiliate.pages import row
from tests.affiliate.support import count


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
        (view,) = await samples.for_shop(session, shop_id=shop.shop_id)
        await samples.decide(session, shop_id=shop.shop_id, sample_id=view.sample.id, approve=True)
        await samples.ship(
            session,
            shop_id=shop.shop_id,
            sample_id=view.sample.id,
            carrier="UPS",
            tracking_number="1Z9",
        )
    listed = row((await client.get("/creator/samples")).text, f"sample-{view.sample.id}")
    assert "Linen Shirt" in listed and "Shipped" in listed and "UPS 1Z9" in listed
