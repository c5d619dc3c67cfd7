from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from fastapi.responses import JSONResponse

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Principal
from shoptide.catalog.schemas import money_read
from shoptide.checkout import service
from shoptide.checkout.schemas import (
    CartItemIn,
    CartLineRead,
    CartQuantityIn,
    CartRead,
    CheckoutIn,
    CheckoutRead,
)
from shoptide.db import Databases
from shoptide.deps import (
    CellRead,
    CellWrite,
    CurrentCell,
    CurrentMarket,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    GlobalRead,
    SettingsDep,
)
from shoptide.errors import InvalidInput
from shoptide.markets.models import Market
from shoptide.orders.models import ShippingAddress
from shoptide.orders.schemas import order_read
from shoptide.settings import Settings

router = APIRouter(tags=["cart & checkout"])


def _cart_read(cart: service.Cart, locale: str) -> CartRead:
    return CartRead(
        market=cart.market,
        lines=[
            CartLineRead(
                sku=i.sellable.sku,
                product_id=i.sellable.product_id,
                title=i.sellable.title,
                variant_label=i.sellable.variant_label,
                quantity=i.quantity,
                unit_price=money_read(i.sellable.price.amount, i.sellable.price.currency, locale),
                line_total=money_read(i.line_total.amount, i.line_total.currency, locale),
                available=i.available,
            )
            for i in cart.items
        ],
        total=money_read(cart.total.amount, cart.total.currency, locale),
    )


@router.get("/cart", response_model=CartRead)
async def get_cart(
    user: CurrentShopper, cell: CellRead, global_: GlobalRead, market: CurrentMarket
) -> CartRead:
    cart = await service.get_cart(cell, global_, shopper_id=user.user_id, market=market)
    return _cart_read(cart, market.locale)


@router.post("/cart/items", response_model=CartRead)
async def add_to_cart(
    body: CartItemIn,
    user: CurrentShopper,
    cell: CellWrite,
    global_: GlobalRead,
    market: CurrentMarket,
) -> CartRead:
    cart = await service.set_quantity(
        cell,
        global_,
        shopper_id=user.user_id,
        market=market,
        sku=body.sku,
        quantity=body.quantity,
        add=True,
        from_video=body.video_id,
    )
    return _cart_read(cart, market.locale)


@router.put("/cart/items/{sku}", response_model=CartRead)
async def set_cart_quantity(
    sku: str,
    body: CartQuantityIn,
    user: CurrentShopper,
    cell: CellWrite,
    global_: GlobalRead,
    market: CurrentMarket,
) -> CartRead:
    cart = await service.set_quantity(
        cell, global_, shopper_id=user.user_id, market=market, sku=sku, quantity=body.quantity
    )
    return _cart_read(cart, market.locale)


@router.delete("/cart/items/{sku}", response_model=CartRead)
async def remove_from_cart(
    sku: str, user: CurrentShopper, cell: CellWrite, global_: GlobalRead, market: CurrentMarket
) -> CartRead:
    cart = await service.set_quantity(
        cell, global_, shopper_id=user.user_id, market=market, sku=sku, quantity=0
    )
    return _cart_read(cart, market.locale)


async def shipping_address(
    databases: DatabasesDep, cell: str, user_id: int, market: str, body: CheckoutIn
) -> ShippingAddress:
    """The address to ship to: a saved one of the shopper's, or a new one."""
    if body.address_id is not None:
        async with databases.session(cell, write=False) as s:
            saved = await accounts_service.get_address(
                s, user_id=user_id, address_id=body.address_id
            )
        fields = {
            k: getattr(saved, k)
            for k in ("full_name", "line1", "line2", "city", "postal_code", "phone")
        }
    elif body.address is not None:
        fields = body.address.model_dump()
    else:
        raise InvalidInput("Give a shipping address or the id of a saved one.")
    return ShippingAddress(country_code=market, **fields)


async def attempt_for(
    databases: Databases,
    settings: Settings,
    cell: str,
    user: Principal,
    market: Market,
    body: CheckoutIn,
    key: str,
) -> service.Attempt:
    """A checkout attempt from an API body (its address) and the Idempotency-Key."""
    address = await shipping_address(databases, cell, user.user_id, market.code, body)
    return service.Attempt(user.user_id, market, key, address, settings.reservation_ttl)


async def save_new_address(
    databases: DatabasesDep, cell: str, user_id: int, market: str, body: CheckoutIn
) -> None:
    """Keep a new address for next time, once it has been used for a paid checkout."""
    if body.save_address and body.address is not None:
        async with databases.session(cell) as s:
            await accounts_service.remember_address(
                s, user_id=user_id, country_code=market, **body.address.model_dump()
            )


def checkout_response(
    result: service.CheckoutResult, market: Market, response: Response
) -> CheckoutRead | JSONResponse:
    """201 with the orders; 200 for a replayed key; 402 with the reason when declined."""
    read = CheckoutRead(
        id=result.checkout.id,
        status=result.checkout.status,
        failure_reason=result.checkout.failure_reason,
        total=money_read(result.checkout.total_minor, result.checkout.currency, market.locale),
        orders=[order_read(o, market.locale) for o in result.orders],
    )
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


@router.post(
    "/checkout",
    response_model=CheckoutRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Replay of an earlier request with the same key"},
        402: {"description": "Payment declined; cart and stock unchanged"},
        409: {"description": "Out of stock"},
    },
)
async def checkout(
    body: CheckoutIn,
    response: Response,
    user: CurrentShopper,
    market: CurrentMarket,
    cell: CurrentCell,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=100)],
) -> CheckoutRead | JSONResponse:
    """Pay for the cart. Send the same Idempotency-Key to retry safely."""
    attempt = await attempt_for(databases, settings, cell, user, market, body, idempotency_key)
    result = await service.place(
        databases, gateway, cell=cell, attempt=attempt, card_number=body.card_number
    )
    if result.paid and not result.replayed:
        await save_new_address(databases, cell, user.user_id, market.code, body)
    return checkout_response(result, market, response)
