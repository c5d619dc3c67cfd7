"""Creators' showcases: what they recommend, in their order, priced in each market."""

import pytest

from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.showcase import service as showcase_service
from shoptide.creators.models import Creator
from shoptide.db import Databases
from shoptide.errors import InvalidInput, NotFound
from shoptide.money import Money
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate


async def showcase(
    databases: Databases, who: affiliate.CreatorAccount, market: str = "US"
) -> list[str]:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        found = await showcase_service.products(session, creator_id=who.id, market=market)
    return [p.title for p in found]


async def add(databases: Databases, who: affiliate.CreatorAccount, product_id: int) -> None:
    async with databases.session(GLOBAL_CELL) as session:
        creator = await session.get(Creator, who.id)
        assert creator is not None
        await showcase_service.add(session, creator=creator, product_id=product_id)


async def test_showcase_add_twice_move_and_remove(databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    a, b, c = [await factories.product(databases, shop, title=t) for t in "ABC"]
    who = await affiliate.creator(databases)
    for item in (a, b, c, a):
        await add(databases, who, item.id)
    assert await showcase(databases, who) == ["A", "B", "C"]

    async def move(product_id: int, direction: str) -> None:
        async with databases.session(GLOBAL_CELL) as session:
            await showcase_service.move(
                session, creator_id=who.id, product_id=product_id, direction=direction
            )

    await move(c.id, "up")
    assert await showcase(databases, who) == ["A", "C", "B"]
    await move(a.id, "up")  # already first
    await move(a.id, "down")
    assert await showcase(databases, who) == ["C", "A", "B"]
    async with databases.session(GLOBAL_CELL) as session:
        await showcase_service.remove(session, creator_id=who.id, product_id=a.id)
        with pytest.raises(NotFound, match="isn't on your showcase"):
            await showcase_service.remove(session, creator_id=who.id, product_id=a.id)
    assert await showcase(databases, who) == ["C", "B"]


async def test_the_showcase_takes_only_products_that_pay_in_the_creators_market(databases):
    paying, silent = await factories.merchant(databases), await factories.merchant(databases)
    await affiliate.open_rate(databases, paying.shop_id, 1000)
    abroad = await factories.product(databases, paying, prices={"ID": 150000}, stock={})
    unpaid = await factories.product(databases, silent)
    who = await affiliate.creator(databases, "US")

    with pytest.raises(InvalidInput, match="pays you no commission"):
        await add(databases, who, unpaid.id)
    with pytest.raises(InvalidInput, match=r"isn't on sale in your market \(US\)"):
        await add(databases, who, abroad.id)
    assert await showcase(databases, who) == []


async def test_a_showcase_shows_each_market_what_it_sells_and_whether_it_still_pays(databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    both = await factories.product(databases, shop, title="Both", prices={"US": 2000, "ID": 150000})
    await factories.product(databases, shop, title="US only")
    who = await affiliate.creator(databases, "US")
    for item_id in (both.id, both.id + 1):
        await add(databases, who, item_id)

    async with databases.session(GLOBAL_CELL) as session:
        in_id = await showcase_service.products(session, creator_id=who.id, market="ID")
        await plans.end_open_rate(session, shop_id=shop.shop_id)
        after = await showcase_service.products(session, creator_id=who.id, market="US")

    assert [(p.title, p.price, p.rate_bp) for p in in_id] == [("Both", Money(150000, "IDR"), 1000)]
    assert [(p.title, p.rate_bp) for p in after] == [("Both", None), ("US only", None)]
