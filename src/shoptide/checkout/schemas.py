"""The checkout's API models, and the parsing of a request into a checkout attempt and of
its result into the reply, which the cart's and a live room's checkout routes share."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Header, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.config import JsonDict

from shoptide.accounts.schemas import AddressIn
from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.checkout.service import Attempt, CheckoutResult
from shoptide.errors import DomainError
from shoptide.ids import Id
from shoptide.markets.models import Market
from shoptide.orders.models import ShippingAddress
from shoptide.orders.schemas import OrderRead, order_read
from shoptide.settings import Settings


class CartItemIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=99, description="Units to add (1 to 99)")
    video_id: Id | None = Field(
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


# Where to ship: a new address or a saved one's id (the id wins when both are given).
SHIPS_SOMEWHERE: JsonDict = {
    "anyOf": [
        {"required": ["address"], "properties": {"address": {"type": "object"}}},
        {"required": ["address_id"], "properties": {"address_id": {"type": "integer"}}},
    ]
}


class CheckoutIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=SHIPS_SOMEWHERE)

    address: AddressIn | None = None
    address_id: Id | None = Field(default=None, description="One of your saved addresses")
    card_number: str = Field(min_length=12, max_length=23, examples=["4242 4242 4242 4242"])
    save_address: bool = False


class CheckoutRead(BaseModel):
    id: int
    status: str
    failure_reason: str
    total: MoneyRead
    orders: list[OrderRead]


# --- requests into attempts, results into replies (shared by the cart's and a live room's
# checkout, over the API and on pages) ---------------------------------------------------

IdempotencyKey = Annotated[str, Header(min_length=8, max_length=100)]


def checkout_responses(*, unchanged: str, conflict: str) -> dict[int | str, dict[str, Any]]:
    """The documented outcomes of a checkout route besides its 201."""
    return {
        200: {"description": "Replay of an earlier request with the same key"},
        402: {"description": f"Payment declined; {unchanged} unchanged"},
        409: {"description": conflict},
        422: {
            "description": "Not valid: a field (see `details`), or nothing left to pay for "
            "(the cart is empty, or a line is no longer sold in your market)"
        },
    }


def attempt_from_body(
    body: CheckoutIn, *, key: str, shopper_id: int, market: Market, settings: Settings
) -> Attempt:
    """A checkout attempt from an API body: a saved address (its id wins) or a new one,
    kept in the address book once paid when the body asks to save it."""
    address = None
    if body.address_id is None and body.address is not None:
        address = ShippingAddress(country_code=market.code, **body.address.model_dump())
    return Attempt(
        shopper_id,
        market,
        key,
        address,
        settings.reservation_ttl,
        save_address=body.save_address,
        saved_address_id=body.address_id,
    )


def address_from_form(form: Mapping[str, str], market: str) -> ShippingAddress:
    try:
        address = AddressIn.model_validate(form)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]).replace("_", " ")
        raise DomainError(f"Check the shipping address: {field} is missing or too long.") from None
    return ShippingAddress(country_code=market, **address.model_dump())


def attempt_from_form(
    form: Mapping[str, str], *, key: str, shopper_id: int, market: Market, settings: Settings
) -> Attempt:
    """A checkout attempt from a page's form (its shipping address) and idempotency key; a
    page keeps the address it was paid with for next time."""
    address = address_from_form(form, market.code)
    return Attempt(shopper_id, market, key, address, settings.reservation_ttl, save_address=True)


def checkout_read(result: CheckoutResult, locale: str) -> CheckoutRead:
    checkout = result.checkout
    return CheckoutRead(
        id=checkout.id,
        status=checkout.status,
        failure_reason=checkout.failure_reason,
        total=money_read(checkout.total_minor, checkout.currency, locale),
        orders=[order_read(o, locale) for o in result.orders],
    )


def checkout_response(
    result: CheckoutResult, market: Market, response: Response
) -> CheckoutRead | JSONResponse:
    """201 with the orders; 200 for a replayed key; 402 with the reason when declined."""
    read = checkout_read(result, market.locale)
    if result.checkout.status in ("failed", "expired"):
        return JSONResponse(
            {
                "error": {"code": "payment_declined", "message": result.checkout.failure_reason},
                "checkout": read.model_dump(mode="json"),
            },
            status_code=402,
        )
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return read
