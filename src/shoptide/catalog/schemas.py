import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from shoptide.markets.schemas import MarketCode
from shoptide.money import Money, format_money
from shoptide.names import Title

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# A price given as text: a decimal above zero with at most 12 whole digits (under the 1e12
# cap), in the same words for the server and the documented schema.
AMOUNT_TEXT = r"^(0*[1-9][0-9]{0,11}(\.[0-9]*)?|0*\.[0-9]*[1-9][0-9]*)$"


def _price_above_zero(value: Any) -> Any:
    """One message for a price of nothing, whether it came as text or as a number."""
    as_text = isinstance(value, str) and not re.fullmatch(AMOUNT_TEXT, value)
    as_number = isinstance(value, int | float | Decimal) and value <= 0
    if as_text or as_number:
        raise PydanticCustomError("amount", "must be a price above zero, such as 19.99")
    return value


def _document_amount_text(schema: dict[str, Any]) -> None:
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            branch["pattern"] = AMOUNT_TEXT


Amount = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1e12"), json_schema_extra=_document_amount_text),  # $0: a mistake
    BeforeValidator(_price_above_zero),
]


class PriceIn(BaseModel):
    market: MarketCode = Field(examples=["US"])
    amount: Amount = Field(examples=["19.99"])
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
    title: Title
    description: str = Field(default="", max_length=5000)
    category: str = Field(description="Category slug", examples=["fashion"])
    variants: list[VariantIn] = Field(min_length=1, max_length=50)


class ProductUpdate(BaseModel):
    title: Title | None = None
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = None


class StockUpdate(BaseModel):
    sku: str
    market: MarketCode = Field(examples=["US"])
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
