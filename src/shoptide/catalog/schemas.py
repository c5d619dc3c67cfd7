from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shoptide.money import Money, format_money

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class PriceIn(BaseModel):
    market: str = Field(min_length=2, max_length=2, examples=["US"])
    amount: Decimal = Field(ge=0, le=Decimal("1e12"), examples=["19.99"])
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])


class VariantIn(BaseModel):
    sku: str = Field(pattern=SKU_PATTERN, examples=["TEE-RED-M"])
    size: str = Field(default="", max_length=40)
    colour: str = Field(default="", max_length=40)
    prices: list[PriceIn] = Field(min_length=1, max_length=20)
    stock: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Units available per market code",
        examples=[{"US": 25}],
    )


class ProductCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(description="Category slug", examples=["fashion"])
    variants: list[VariantIn] = Field(min_length=1, max_length=50)


class ProductUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = None


class StockUpdate(BaseModel):
    sku: str
    market: str = Field(min_length=2, max_length=2)
    available: int = Field(ge=0, le=1_000_000)


class MoneyRead(BaseModel):
    amount_minor: int
    currency: str
    display: str


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str
    name: str


class VariantRead(BaseModel):
    id: int
    sku: str
    size: str
    colour: str
    label: str
    price: MoneyRead | None
    available: int | None = None


class ProductSummary(BaseModel):
    id: int
    title: str
    shop_id: int
    category: str
    image_url: str | None
    price_from: MoneyRead | None
    status: str


class ProductRead(ProductSummary):
    description: str
    image_urls: list[str]
    variants: list[VariantRead]


class ProductPage(BaseModel):
    items: list[ProductSummary]
    page: int
    per_page: int
    total: int


def money_read(amount_minor: int, currency: str, locale: str) -> MoneyRead:
    return MoneyRead(
        amount_minor=amount_minor,
        currency=currency,
        display=format_money(Money(amount_minor, currency), locale),
    )
