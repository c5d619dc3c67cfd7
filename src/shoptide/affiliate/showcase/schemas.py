"""The showcase API's bodies (creators)."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from shoptide.affiliate.marketplace.schemas import money
from shoptide.affiliate.rates import rate_percent
from shoptide.affiliate.showcase.service import ShowcaseProduct
from shoptide.catalog.schemas import MoneyRead
from shoptide.ids import Id
from shoptide.media import media_url


class ShowcaseAdd(BaseModel):
    product_id: Id


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
            image_url=media_url(p.image),
            shop_id=p.shop_id,
            shop_name=p.shop_name,
            price=money(p.price, locale),
            rate_percent=None if p.rate_bp is None else rate_percent(p.rate_bp),
        )
        for p in products
    ]
