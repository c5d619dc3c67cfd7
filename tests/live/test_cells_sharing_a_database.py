"""Two market cells in one database (the `shared_cells` fixture): a shop's live rooms from
both markets are listed once each in Seller Center."""

from shoptide.live import flows
from tests import factories
from tests.live.support import room
from tests.pages import sign_in_merchant


async def test_a_shops_rooms_in_two_markets_are_listed_once_each(shared_cells):
    client, databases = shared_cells
    host = await factories.merchant(databases)
    boston = await room(databases, market="US", host=host, live=False)
    jakarta = await room(databases, market="ID", host=host, live=False)

    listed = await flows.rooms_of_shop(databases, shop_id=host.shop_id)
    await sign_in_merchant(client, host.email)
    page = await client.get("/seller/live")

    assert sorted(r.public_name for r in listed) == sorted(
        [boston.public_name, jakarta.public_name]
    )
    for name in (boston.public_name, jakarta.public_name):
        assert page.text.count(f'href="/seller/live/{name}"') == 1
