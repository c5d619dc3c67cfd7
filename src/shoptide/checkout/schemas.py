from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead
from shoptide.orders.schemas import OrderRead


class AddressIn(BaseModel):
    full_name: str = Field(min_length=1, max_length=120)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    phone: str = Field(default="", max_length=40)


class CartItemIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=99, description="Units to add (1 to 99)")
    video_id: int | None = Field(
        default=None, description="The video the shopper found it in: the order's source"
    )


class CartQuantityIn(BaseModel):
    quantity: int = Field(ge=0, le=99, description="New quantity; 0 removes the line")


class CartLineRead(BaseModel):
    sku: str
    product_id: int
    title: str
    variant_label: str
    quantity: int
    unit_price: MoneyRead
    line_total: MoneyRead
    available: int


class CartRead(BaseModel):
    market: str
    lines: list[CartLineRead]
    total: MoneyRead


class CheckoutIn(BaseModel):
    address: AddressIn | None = None
    address_id: int | None = Field(default=None, description="One of your saved addresses")
    card_number: str = Field(min_length=12, max_length=23, examples=["4242 4242 4242 4242"])
    save_address: bool = False


class CheckoutRead(BaseModel):
    id: int
    status: str
    failure_reason: str
    total: MoneyRead
    orders: list[OrderRead]
