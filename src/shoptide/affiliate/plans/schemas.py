"""The plans API's bodies: a shop's open plan and its invitations. Rates travel as
percentages with up to two decimals ("12.5")."""

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, Field

from shoptide.affiliate.plans.models import SHOP_WIDE
from shoptide.affiliate.plans.service import InvitationView, OpenRate
from shoptide.affiliate.rates import rate_percent

RatePercent = Field(examples=["12.5"], description="Commission in percent: 1 to 80")


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
