"""The affiliate API's bodies: plans, invitations and samples (merchants), marketplace and
showcase (creators). Rates travel as percentages with up to two decimals ("12.5")."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from shoptide.affiliate.marketplace import MarketplaceItem, MarketplacePage, ShowcaseProduct
from shoptide.affiliate.models import SHOP_WIDE
from shoptide.affiliate.plans import InvitationView, OpenRate, SampleView, rate_percent
from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.money import Money

RatePercent = Field(examples=["12.5"], description="Commission in percent: 1 to 80")


def _media_url(filename: str | None) -> str | None:
    return f"/media/{filename}" if filename else None


def _money(money: Money, locale: str) -> MoneyRead:
    return money_read(money.amount, money.currency, locale)


# --- merchants ----------------------------------------------------------------------------------


class OpenRateIn(BaseModel):
    product_id: int | None = Field(
        default=None, description="One of your products; leave out for every product"
    )
    rate_percent: Decimal = RatePercent


class OpenRateRead(BaseModel):
    product_id: int | None  # None: the shop-wide rate
    title: str
    rate_percent: Decimal
    updated_at: datetime


class OpenPlanRead(BaseModel):
    shop_id: int
    rates: list[OpenRateRead]


def open_plan_read(shop_id: int, rates: list[OpenRate]) -> OpenPlanRead:
    return OpenPlanRead(
        shop_id=shop_id,
        rates=[
            OpenRateRead(
                product_id=None if r.product_id == SHOP_WIDE else r.product_id,
                title=r.title,
                rate_percent=rate_percent(r.rate_bp),
                updated_at=r.updated_at,
            )
            for r in rates
        ],
    )


class InvitationCreate(BaseModel):
    creator: str = Field(min_length=1, max_length=31, examples=["maya_styles"])
    rate_percent: Decimal = RatePercent
    product_ids: list[int] = Field(max_length=100)
    expires_at: AwareDatetime = Field(description="Within a year from now")
    samples_offered: bool = False
    message: str = Field(default="", max_length=500)


class InvitedProductRead(BaseModel):
    product_id: int
    title: str


class InvitationRead(BaseModel):
    id: int
    shop_id: int
    shop_name: str
    creator: str  # the creator's handle
    rate_percent: Decimal
    products: list[InvitedProductRead]
    expires_at: datetime
    samples_offered: bool
    message: str
    status: str = Field(
        examples=["invited"], description="invited, accepted, declined, withdrawn or expired"
    )
    created_at: datetime
    responded_at: datetime | None


def invitation_read(view: InvitationView) -> InvitationRead:
    i = view.invitation
    return InvitationRead(
        id=i.id,
        shop_id=i.shop_id,
        shop_name=view.shop_name,
        creator=view.creator.handle,
        rate_percent=rate_percent(i.rate_bp),
        products=[InvitedProductRead(product_id=p, title=t) for p, t in view.products],
        expires_at=i.expires_at,
        samples_offered=i.samples_offered,
        message=i.message,
        status=view.status,
        created_at=i.created_at,
        responded_at=i.responded_at,
    )


class SampleCreate(BaseModel):
    invitation_id: int
    product_id: int
    ship_to: str = Field(min_length=1, max_length=400, description="Where to send it")
    note: str = Field(default="", max_length=300)


class SampleShip(BaseModel):
    carrier: str = Field(default="", max_length=60)
    tracking_number: str = Field(min_length=1, max_length=80)


class SampleRead(BaseModel):
    id: int
    invitation_id: int
    shop_id: int
    shop_name: str
    creator: str
    product_id: int
    product_title: str
    ship_to: str
    note: str
    status: str = Field(
        examples=["requested"], description="requested, approved, rejected or shipped"
    )
    carrier: str
    tracking_number: str
    created_at: datetime
    decided_at: datetime | None


def sample_read(view: SampleView) -> SampleRead:
    s = view.sample
    return SampleRead(
        id=s.id,
        invitation_id=s.invitation_id,
        shop_id=s.shop_id,
        shop_name=view.shop_name,
        creator=view.creator.handle,
        product_id=s.product_id,
        product_title=view.product_title,
        ship_to=s.ship_to,
        note=s.note,
        status=s.status,
        carrier=s.carrier,
        tracking_number=s.tracking_number,
        created_at=s.created_at,
        decided_at=s.decided_at,
    )


# --- creators -----------------------------------------------------------------------------------


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
        image_url=_media_url(item.image),
        shop_id=item.shop_id,
        shop_name=item.shop_name,
        category=item.category,
        price=_money(item.price, locale),
        rate_percent=rate_percent(item.rate_bp),
        from_invitation=item.targeted,
        estimated_earnings=_money(item.earnings, locale),
        units_sold=item.units_sold,
        in_showcase=item.in_showcase,
    )


class ShowcaseAdd(BaseModel):
    product_id: int


class ShowcaseMove(BaseModel):
    direction: Literal["up", "down"]


class ShowcaseItemRead(BaseModel):
    product_id: int
    title: str
    image_url: str | None
    shop_id: int
    shop_name: str
    price: MoneyRead
    rate_percent: Decimal | None  # None: the product pays no commission any more


def showcase_read(products: list[ShowcaseProduct], locale: str) -> list[ShowcaseItemRead]:
    return [
        ShowcaseItemRead(
            product_id=p.product_id,
            title=p.title,
            image_url=_media_url(p.image),
            shop_id=p.shop_id,
            shop_name=p.shop_name,
            price=_money(p.price, locale),
            rate_percent=None if p.rate_bp is None else rate_percent(p.rate_bp),
        )
        for p in products
    ]
