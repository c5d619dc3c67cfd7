"""The creators' marketplace (global cell): products on sale in the creator's market that
pay them a commission, filtered, sorted by estimated earnings and paged.

The marketplace and showcases (affiliate.showcase) read one query over the catalog's
published products, their lowest price in a market and the rate each pays one creator:
plans.service.rate_for's rule (the best of an accepted, unexpired invitation and the open
plan, the product's own rate before the shop's) written in SQL, so the marketplace filters,
sorts by estimated earnings and pages in the database, in a fixed number of queries whatever
the page holds.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shoptide.affiliate.marketplace.models import ShowcaseItem
from shoptide.affiliate.plans.models import SHOP_WIDE, Invitation, InvitationProduct, OpenPlan
from shoptide.affiliate.rates import parse_rate_percent, share
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Category, Listing, Product, ProductImage
from shoptide.creators.models import Creator
from shoptide.db import utcnow
from shoptide.errors import DomainError, InvalidInput
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.shops.models import Shop

SORTS = {
    "earnings": "Estimated earnings",
    "rate": "Commission rate",
    "sales": "Units sold",
    "price": "Price: low to high",
    "newest": "Newest",
}
MAX_PER_PAGE = 60


def estimated_earnings(price: Money, rate_bp: int) -> Money:
    """What one sale at `price` earns at `rate_bp`, by the rule commissions are paid by."""
    return Money(share(price.amount, rate_bp), price.currency)


@dataclass(frozen=True)
class Filters:
    category: str | None = None  # a category slug
    min_rate_bp: int | None = None
    price_min: int | None = None  # minor units of the market's currency
    price_max: int | None = None
    min_sales: int | None = None  # units sold
    sort: str = "earnings"
    page: int = 1
    per_page: int = 24


def _blank(value: str | Decimal | int | None) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _price(value: str | Decimal | None, currency: str) -> int | None:
    text = _blank(value)
    if text is None:
        return None
    try:
        return Money.from_decimal(text, currency).amount
    except (ValueError, ArithmeticError):  # not a number, or finer than the currency
        raise InvalidInput(
            f"Enter prices in {currency}, like {Money(1299, currency).to_decimal()}."
        ) from None


def parse_filters(
    *,
    currency: str,
    category: str | None = None,
    min_rate: str | Decimal | None = None,
    price_min: str | Decimal | None = None,
    price_max: str | Decimal | None = None,
    min_sales: str | int | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 24,
) -> Filters:
    """The marketplace's filters as a form or a query string gives them (blank: no filter;
    prices in major units of the market's currency, the rate in percent)."""
    rate = _blank(min_rate)
    sales = _blank(min_sales)
    if sales is not None and not (sales.isdigit() and len(sales) < 10):
        raise InvalidInput("Minimum sales: enter a whole number of units, like 100.")
    return Filters(
        category=_blank(category),
        min_rate_bp=None if rate is None else parse_rate_percent(rate),
        price_min=_price(price_min, currency),
        price_max=_price(price_max, currency),
        min_sales=None if sales is None else int(sales),
        sort=sort or "earnings",
        page=max(page, 1),
        per_page=min(max(per_page, 1), MAX_PER_PAGE),
    )


@dataclass(frozen=True)
class MarketplaceItem:
    product_id: int
    title: str
    image: str | None  # the first picture's filename under /media
    shop_id: int
    shop_name: str
    category: str
    price: Money  # the lowest variant price in the market
    rate_bp: int  # the best rate for this creator
    targeted: bool  # the rate is an invitation's, not the open plan's
    units_sold: int
    in_showcase: bool

    @property
    def earnings(self) -> Money:
        return estimated_earnings(self.price, self.rate_bp)


@dataclass(frozen=True)
class MarketplacePage:
    items: list[MarketplaceItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Offers:
    query: Select[Any]
    rate: Any  # the SQL expression of the creator's best rate (NULL: no commission)
    price: Any  # the SQL expression of the product's lowest price in the market


def offers_for(*, creator_id: int, market: str, now: datetime) -> Offers:
    """Published products on sale in the market, with the rate each pays the creator."""
    price = (
        select(
            Listing.product_id,
            func.min(Listing.price_minor).label("price_minor"),
            func.min(Listing.currency).label("currency"),
        )
        .where(Listing.market_code == market)
        .group_by(Listing.product_id)
        .subquery("price")
    )
    invited = (
        select(
            InvitationProduct.product_id,
            Invitation.shop_id,
            func.max(Invitation.rate_bp).label("rate_bp"),
        )
        .join(Invitation, Invitation.id == InvitationProduct.invitation_id)
        .where(
            Invitation.creator_id == creator_id,
            Invitation.status == "accepted",
            Invitation.expires_at > now,
        )
        .group_by(InvitationProduct.product_id, Invitation.shop_id)
        .subquery("invited")
    )
    own, shop_wide = aliased(OpenPlan, name="own_plan"), aliased(OpenPlan, name="shop_plan")
    open_bp = func.coalesce(own.rate_bp, shop_wide.rate_bp)
    # the invitation wins a tie, as in plans.service.rate_for
    rate = case((invited.c.rate_bp >= func.coalesce(open_bp, 0), invited.c.rate_bp), else_=open_bp)
    query = (
        select(
            Product.id.label("product_id"),
            Product.title,
            Product.shop_id,
            Shop.name.label("shop_name"),
            Category.name.label("category"),
            Product.popularity,
            price.c.price_minor,
            price.c.currency,
            rate.label("rate_bp"),
            invited.c.rate_bp.label("invited_bp"),
            ShowcaseItem.id.label("showcase_id"),
        )
        .join(price, price.c.product_id == Product.id)
        .join(Shop, Shop.id == Product.shop_id)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(
            own,
            and_(
                own.shop_id == Product.shop_id, own.product_id == Product.id, own.active.is_(True)
            ),
        )
        .outerjoin(
            shop_wide,
            and_(
                shop_wide.shop_id == Product.shop_id,
                shop_wide.product_id == SHOP_WIDE,
                shop_wide.active.is_(True),
            ),
        )
        .outerjoin(
            invited,
            and_(invited.c.product_id == Product.id, invited.c.shop_id == Product.shop_id),
        )
        .outerjoin(
            ShowcaseItem,
            and_(ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == Product.id),
        )
        .where(Product.status == "published")
    )
    return Offers(query, rate, price.c.price_minor)


async def first_images(global_: AsyncSession, product_ids: list[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    images: dict[int, str] = {}
    for product_id, filename in await global_.execute(
        select(ProductImage.product_id, ProductImage.filename)
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ):
        images.setdefault(product_id, filename)
    return images


def _ordering(sort: str, offers: Offers) -> tuple[Any, ...]:
    if sort not in SORTS:
        raise InvalidInput(f"Sort by one of: {', '.join(SORTS)}.")
    orders: dict[str, tuple[Any, ...]] = {
        # price x rate orders the same as the rounded earnings
        "earnings": ((offers.price * offers.rate).desc(), Product.popularity.desc()),
        "rate": (offers.rate.desc(), Product.popularity.desc()),
        "sales": (Product.popularity.desc(),),
        "price": (offers.price.asc(),),
        "newest": (Product.created_at.desc(),),
    }
    return (*orders[sort], Product.id.desc())


def _filtered(offers: Offers, filters: Filters) -> Select[Any]:
    query = offers.query.where(offers.rate.is_not(None))
    if filters.category:
        query = query.where(Category.slug == filters.category)
    if filters.min_rate_bp is not None:
        query = query.where(offers.rate >= filters.min_rate_bp)
    if filters.price_min is not None:
        query = query.where(offers.price >= filters.price_min)
    if filters.price_max is not None:
        query = query.where(offers.price <= filters.price_max)
    if filters.min_sales is not None:
        query = query.where(Product.popularity >= filters.min_sales)
    return query


async def search(
    global_: AsyncSession,
    *,
    creator: Creator,
    market: str,
    filters: Filters,
    now: datetime | None = None,
) -> MarketplacePage:
    """Products on sale in the market that pay this creator a commission (three queries)."""
    offers = offers_for(creator_id=creator.id, market=market, now=now or utcnow())
    query = _filtered(offers, filters)
    order = _ordering(filters.sort, offers)
    per_page = min(max(filters.per_page, 1), MAX_PER_PAGE)
    page = max(filters.page, 1)
    total = await global_.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        await global_.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    ).all()
    images = await first_images(global_, [row.product_id for row in rows])
    items = [
        MarketplaceItem(
            product_id=row.product_id,
            title=row.title,
            image=images.get(row.product_id),
            shop_id=row.shop_id,
            shop_name=row.shop_name,
            category=row.category,
            price=Money(row.price_minor, row.currency),
            rate_bp=row.rate_bp,
            targeted=row.invited_bp is not None and row.invited_bp == row.rate_bp,
            units_sold=row.popularity,
            in_showcase=row.showcase_id is not None,
        )
        for row in rows
    ]
    return MarketplacePage(items=items, total=total, page=page, per_page=per_page)


@dataclass(frozen=True)
class Browsing:
    """Creator Center's marketplace page: a page of offers (none when the filters as typed
    can't be read: `error` says why) and the categories to filter by."""

    found: MarketplacePage
    categories: Sequence[Category]
    error: str | None


async def browse(
    global_: AsyncSession, *, creator: Creator, market: Market, typed: Mapping[str, str], page: int
) -> Browsing:
    """The marketplace with the filters as a form typed them (prices in the market's
    currency)."""
    try:
        filters = parse_filters(
            currency=market.currency,
            category=typed.get("category"),
            min_rate=typed.get("min_rate"),
            price_min=typed.get("price_min"),
            price_max=typed.get("price_max"),
            min_sales=typed.get("min_sales"),
            sort=typed.get("sort"),
            page=page,
        )
        found = await search(global_, creator=creator, market=market.code, filters=filters)
        error = None
    except DomainError as exc:
        found, error = MarketplacePage(items=[], total=0, page=1, per_page=1), exc.message
    return Browsing(found, await catalog_service.list_categories(global_), error)
