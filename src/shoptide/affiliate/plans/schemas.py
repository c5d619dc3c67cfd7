"""The plans API's bodies: a shop's open plan and its invitations. Rates travel as
percentages with up to two decimals ("12.5")."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from shoptide.affiliate.plans.models import SHOP_WIDE
from shoptide.affiliate.plans.service import InvitationView, OpenRate
from shoptide.affiliate.rates import rate_percent
from shoptide.ids import Id

# What rates.parse_rate_percent accepts from a plain decimal string (1 to 80, at most two
# decimals, zeros either side allowed), so the document promises exactly what is taken.
RATE_TEXT = r"^0*(?:[1-9]|[1-7][0-9])(?:\.[0-9]{1,2}0*)?$|^0*80(?:\.0+)?$"


def _plain_decimal(value: Any) -> Any:
    """Numbers in strings as a person writes them: no exponent, sign, spaces or percent."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        raise PydanticCustomError(
            "rate_percent", "Enter the commission rate as a percentage, like 12.5."
        )
    return value


# Range and decimals are checked by rates.parse_rate_percent, in the words pages use too.
RatePercent = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 1, "maximum": 80, "multipleOf": 0.01},
                {"type": "string", "pattern": RATE_TEXT},
            ],
            "description": "Commission in percent: 1 to 80, at most two decimals",
            "examples": ["12.5"],
        }
    ),
]


class OpenRateIn(BaseModel):
    product_id: Id | None = Field(
        default=None, description="One of your products; leave out for every product"
    )
    rate_percent: RatePercent


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
    rate_percent: RatePercent
    product_ids: list[Id] = Field(min_length=1, max_length=100)
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
