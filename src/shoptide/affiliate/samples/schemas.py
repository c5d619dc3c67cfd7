"""The samples API's bodies."""

from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.affiliate.samples.service import SampleView
from shoptide.ids import Id


class SampleCreate(BaseModel):
    invitation_id: Id
    product_id: Id
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
