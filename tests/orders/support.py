"""What the orders tests share: a paid order of a shop, bought through the API."""

import httpx

from shoptide.db import Databases
from tests import factories


async def paid_order(
    client: httpx.AsyncClient, databases: Databases, shop: factories.Merchant, market: str = "US"
) -> tuple[factories.Account, int]:
    prices = {"US": 2500, "ID": 150000}
    item = await factories.product(databases, shop, prices=prices, stock={market: 5})
    buyer = await factories.shopper(databases, market)
    bought = await factories.buy(client, buyer, item.skus[0])
    assert bought.status_code == 201, bought.text
    return buyer, bought.json()["orders"][0]["id"]
