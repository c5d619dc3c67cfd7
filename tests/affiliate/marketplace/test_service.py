"""The creators' marketplace: what pays this creator, in their market."""

from typing import Any

import pytest

from shoptide.affiliate.marketplace import service as marketplace
from shoptide.affiliate.marketplace.service import Filters
from shoptide.affiliate.plans import service as plans
from shoptide.catalog import service as catalog_service
from shoptide.catalog.schemas import ProductUpdate
from shoptide.creators.models import Creator
from shoptide.db import Databases
from shoptide.errors import InvalidInput
from shoptide.money import Money
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import factories as affiliate
from tests.queries import count_queries


async def search(
    databases: Databases, who: affiliate.CreatorAccount, **filters: Any
) -> marketplace.MarketplacePage:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        creator = await session.get(Creator, who.id)
        assert creator is not None
        return await marketplace.search(
            session,
            creator=creator,
            market=who.market,
            filters=Filters(**filters),
        )


async def titles(databases: Databases, who: affiliate.CreatorAccount, **filters: Any) -> list[str]:
    return [item.title for item in (await search(databases, who, **filters)).items]


async def sold(databases: Databases, product_id: int, units: int) -> None:
    async with databases.session(GLOBAL_CELL) as session:
        await catalog_service.add_sales(session, {product_id: units})


async def test_estimated_earnings_round_half_up_to_the_minor_unit():
    assert marketplace.estimated_earnings(Money(1999, "USD"), 1250) == Money(250, "USD")  # 249.875
    assert marketplace.estimated_earnings(Money(1000, "USD"), 1005) == Money(101, "USD")  # 100.5
    assert marketplace.estimated_earnings(Money(999, "USD"), 1000) == Money(100, "USD")  # 99.9
    assert marketplace.estimated_earnings(Money(150000, "IDR"), 333) == Money(4995, "IDR")


async def test_only_products_that_pay_this_creator_in_their_market_are_listed(databases):
    paying, silent = await factories.merchant(databases), await factories.merchant(databases)
    await affiliate.open_rate(databases, paying.shop_id, 1000)
    await factories.product(databases, paying, title="Sold here", prices={"US": 2000})
    await factories.product(databases, paying, title="Sold abroad", prices={"ID": 150000}, stock={})
    await factories.product(databases, paying, title="Draft", publish=False)
    await factories.product(databases, silent, title="No plan")
    who = await affiliate.creator(databases, "US")

    found = await search(databases, who)

    assert [i.title for i in found.items] == ["Sold here"]
    (item,) = found.items
    assert (item.price, item.rate_bp, item.earnings) == (
        Money(2000, "USD"),
        1000,
        Money(200, "USD"),
    )
    assert item.shop_name == "Shop " + item.shop_name.split()[-1] and not item.targeted
    assert found.total == 1


async def test_sorted_by_estimated_earnings_by_default(databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    cheap = await factories.product(databases, shop, title="Cheap", prices={"US": 1000})
    await factories.product(databases, shop, title="Dear", prices={"US": 5000})
    await factories.product(databases, shop, title="Middle", prices={"US": 3000})
    # a product rate of its own: 1000 x 60% = 600, more than 5000 x 10% = 500
    await affiliate.open_rate(databases, shop.shop_id, 6000, product_id=cheap.id)
    who = await affiliate.creator(databases)

    found = await search(databases, who)

    assert [i.title for i in found.items] == ["Cheap", "Dear", "Middle"]
    assert [i.earnings.amount for i in found.items] == [600, 500, 300]


async def test_filters_and_other_orders(databases):
    shop = await factories.merchant(databases)
    await factories.category(databases, "beauty")
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    a = await factories.product(databases, shop, title="A", prices={"US": 1000})
    b = await factories.product(databases, shop, title="B", prices={"US": 4000})
    c = await factories.product(databases, shop, title="C", prices={"US": 2500})
    await affiliate.open_rate(databases, shop.shop_id, 2500, product_id=b.id)
    await sold(databases, a.id, 500)
    await sold(databases, c.id, 40)
    async with databases.session(GLOBAL_CELL) as session:
        product = await catalog_service.get_for_shop(session, c.id, shop_id=shop.shop_id)
        await catalog_service.update(session, product, data=ProductUpdate(category="beauty"))
    who = await affiliate.creator(databases)

    assert await titles(databases, who, sort="rate") == ["B", "A", "C"]  # ties: best sellers first
    assert await titles(databases, who, sort="sales") == ["A", "C", "B"]
    assert await titles(databases, who, sort="price") == ["A", "C", "B"]
    assert await titles(databases, who, sort="newest") == ["C", "B", "A"]
    assert await titles(databases, who, category="beauty") == ["C"]
    assert await titles(databases, who, min_rate_bp=2000) == ["B"]
    assert await titles(databases, who, price_min=2000, price_max=3000) == ["C"]
    assert await titles(databases, who, min_sales=40) == ["C", "A"]  # by earnings
    with pytest.raises(InvalidInput, match="Sort by one of"):
        await search(databases, who, sort="rating")


def test_filters_are_read_as_a_person_types_them():
    filters = marketplace.parse_filters(
        currency="USD",
        category=" ",
        min_rate="12.5",
        price_min="10",
        price_max="20.5",
        min_sales="3",
    )
    assert filters == Filters(
        category=None, min_rate_bp=1250, price_min=1000, price_max=2050, min_sales=3
    )
    with pytest.raises(InvalidInput, match="Enter prices in USD"):
        marketplace.parse_filters(currency="USD", price_min="ten")
    with pytest.raises(InvalidInput, match="Enter prices in IDR"):
        marketplace.parse_filters(currency="IDR", price_max="1.5")
    with pytest.raises(InvalidInput, match="whole number"):
        marketplace.parse_filters(currency="USD", min_sales="-1")
    with pytest.raises(InvalidInput, match="1% to 80%"):
        marketplace.parse_filters(currency="USD", min_rate="90")


async def test_an_accepted_invitation_shows_its_higher_rate(databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    item = await factories.product(databases, shop, prices={"US": 2000})
    invited, other = await affiliate.creator(databases), await affiliate.creator(databases)
    invitation_id = await affiliate.invitation(
        databases, shop.shop_id, invited, [item.id], rate_bp=3000
    )

    assert (await search(databases, invited)).items[0].rate_bp == 1000  # not accepted yet

    async with databases.session(GLOBAL_CELL) as session:
        await plans.accept(session, creator_id=invited.id, invitation_id=invitation_id)
    (mine,) = (await search(databases, invited)).items
    (theirs,) = (await search(databases, other)).items
    assert (mine.rate_bp, mine.targeted, mine.earnings) == (3000, True, Money(600, "USD"))
    assert (theirs.rate_bp, theirs.targeted) == (1000, False)

    await affiliate.expire(databases, invitation_id)
    assert (await search(databases, invited)).items[0].rate_bp == 1000


async def test_an_invitation_alone_puts_a_product_on_the_creators_marketplace(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Invited only")
    who = await affiliate.creator(databases)
    await affiliate.invitation(databases, shop.shop_id, who, [item.id], rate_bp=1500, accepted=True)

    assert await titles(databases, who) == ["Invited only"]
    assert await titles(databases, await affiliate.creator(databases)) == []


async def test_a_marketplace_page_costs_the_same_queries_for_3_or_30_products(databases):
    shop = await factories.merchant(databases)
    await affiliate.open_rate(databases, shop.shop_id, 1000)
    who = await affiliate.creator(databases)
    for _ in range(3):
        await factories.product(databases, shop, variants=2)
    with count_queries(databases) as few:
        assert len((await search(databases, who)).items) == 3
    for _ in range(27):
        await factories.product(databases, shop, variants=2)
    with count_queries(databases) as many:
        found = await search(databases, who, per_page=60)

    assert (len(found.items), found.total) == (30, 30)
    assert len(many) == len(few)
