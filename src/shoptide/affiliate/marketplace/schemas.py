"""The marketplace and showcase API's bodies (creators). Rates travel as percentages
with up to two decimals ("12.5")."""

from decimal import Decimal

from pydantic import BaseModel

from shoptide.affiliate.marketplace.service import MarketplaceItem, MarketplacePage
from shoptide.affiliate.rates import rate_percent
from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.media import media_url
from shoptide.money import Money


def money(money: Money, locale: str) -> MoneyRead:
    return money_read(money.amount, money.currency, locale)


class MarketplaceItemRead(BaseModel):
    product_id: int
    title: str
    image_url: str | None
    shop_id: int
    shop_name: str
    category: str
    price: MoneyRead
    rate_percent: Decimal
    from_invitation: bool
    estimated_earnings: MoneyRead
    units_sold: int
    in_showcase: bool


class MarketplacePageRead(BaseModel):
    items: list[MarketplaceItemRead]
    page: int
    per_page: int
    total: int


def marketplace_page_read(found: MarketplacePage, locale: str) -> MarketplacePageRead:
    return MarketplacePageRead(
        items=[_marketplace_item(item, locale) for item in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )


def _marketplace_item(item: MarketplaceItem, locale: str) -> MarketplaceItemRead:
    return MarketplaceItemRead(
        product_id=item.product_id,
        title=item.title,
        image_url=media_url(item.image),
        shop_id=item.shop_id,
        shop_name=item.shop_name,
        category=item.category,
        price=money(item.price, locale),
        rate_percent=rate_percent(item.rate_bp),
        from_invitation=item.targeted,
        estimated_earnings=money(item.earnings, locale),
        units_sold=item.units_sold,
        in_showcase=item.in_showcase,
    )
