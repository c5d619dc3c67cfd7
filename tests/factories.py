"""Factories: one line builds a valid object through the domains' own services."""

import itertools
from dataclasses import dataclass

import httpx

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.catalog import flows as catalog_flows
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category
from shoptide.catalog.schemas import PriceIn, ProductCreate, VariantIn
from shoptide.db import Databases
from shoptide.markets.service import DEFAULT_MARKETS
from shoptide.money import Money
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service

PASSWORD = "correct horse battery"
CURRENCY = {market.code: market.currency for market in DEFAULT_MARKETS}
_seq = itertools.count(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _passwords(databases: Databases) -> Passwords:
    return Passwords(databases.settings)


@dataclass
class Account:
    id: int
    email: str
    token: str
    cell: str
    market: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass
class Merchant(Account):
    shop_id: int = 0


async def shopper(databases: Databases, market: str = "US", email: str | None = None) -> Account:
    cell = databases.settings.cell_of_market(market)
    email = email or f"shopper{next(_seq)}@example.com"
    async with databases.session(cell) as session:
        user = await accounts_service.create(
            session,
            email=email,
            password=PASSWORD,
            display_name=email.split("@")[0],
            role="shopper",
            market_code=market,
            passwords=_passwords(databases),
        )
        token = await accounts_service.issue_token(session, user=user, cell=cell)
    return Account(user.id, email, token, cell, market)


async def merchant(
    databases: Databases, shop_name: str | None = None, email: str | None = None
) -> Merchant:
    n = next(_seq)
    email = email or f"merchant{n}@example.com"
    async with databases.session(GLOBAL_CELL) as session:
        user = await accounts_service.create(
            session,
            email=email,
            password=PASSWORD,
            display_name=f"Merchant {n}",
            role="merchant",
            passwords=_passwords(databases),
        )
        shop = await shops_service.create(
            session, name=shop_name or f"Shop {n}", home_market="US", owner_id=user.id
        )
        token = await accounts_service.issue_token(session, user=user, cell=GLOBAL_CELL)
    return Merchant(user.id, email, token, GLOBAL_CELL, None, shop.id)


async def operator(databases: Databases) -> Account:
    email = f"operator{next(_seq)}@example.com"
    async with databases.session(GLOBAL_CELL) as session:
        user = await accounts_service.create(
            session,
            email=email,
            password=PASSWORD,
            display_name="Operator",
            role="operator",
            passwords=_passwords(databases),
        )
        token = await accounts_service.issue_token(session, user=user, cell=GLOBAL_CELL)
    return Account(user.id, email, token, GLOBAL_CELL)


async def category(databases: Databases, slug: str = "fashion") -> str:
    async with databases.session(GLOBAL_CELL) as session:
        if not await session.scalar(Category.__table__.select().where(Category.slug == slug)):
            session.add(Category(slug=slug, name=slug.title()))
    return slug


@dataclass
class ProductRef:
    id: int
    skus: list[str]
    shop_id: int


async def product(
    databases: Databases,
    shop: Merchant,
    *,
    prices: dict[str, int] | None = None,
    stock: dict[str, int] | None = None,
    variants: int = 1,
    title: str | None = None,
    publish: bool = True,
) -> ProductRef:
    """A product whose every variant has `prices` (minor units) and `stock` per market."""
    prices = prices or {"US": 1999}
    stock = {"US": 10} if stock is None else stock
    n = next(_seq)
    data = ProductCreate(
        title=title or f"Product {n}",
        description="Made for tests.",
        category=await category(databases),
        variants=[
            VariantIn(
                sku=f"SKU-{n}-{i}",
                size=["S", "M", "L", "XL"][i % 4],
                colour="Red",
                prices=[
                    PriceIn(
                        market=m, amount=Money(a, CURRENCY[m]).to_decimal(), currency=CURRENCY[m]
                    )
                    for m, a in prices.items()
                ],
                stock=stock,
            )
            for i in range(variants)
        ],
    )
    created = await catalog_flows.create_with_stock(databases, shop_id=shop.shop_id, data=data)
    if publish:
        async with databases.session(GLOBAL_CELL) as session:
            loaded = await catalog_service.get_for_shop(session, created.id, shop_id=shop.shop_id)
            await catalog_service.set_status(session, loaded, status="published")
    return ProductRef(created.id, [v.sku for v in data.variants], shop.shop_id)


ADDRESS = {
    "full_name": "Ada Shopper",
    "line1": "1 Main Street",
    "city": "Springfield",
    "postal_code": "12345",
    "phone": "+1 555 0100",
}


async def buy(
    client: httpx.AsyncClient,
    account: Account,
    sku: str,
    quantity: int = 1,
    card: str = "4242424242424242",
    key: str | None = None,
) -> httpx.Response:
    """Put the SKU in the cart and check out through the API."""
    added = await client.post(
        "/api/v1/cart/items", json={"sku": sku, "quantity": quantity}, headers=account.headers
    )
    assert added.status_code == 200, added.text
    return await client.post(
        "/api/v1/checkout",
        json={"address": ADDRESS, "card_number": card},
        headers={**account.headers, "Idempotency-Key": key or f"key-{next(_seq):08d}"},
    )
