from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from shoptide.catalog.schemas import money_read
from shoptide.checkout import flows, service
from shoptide.checkout.schemas import (
    CartItemIn,
    CartLineRead,
    CartQuantityIn,
    CartRead,
    CheckoutIn,
    CheckoutRead,
    IdempotencyKey,
    attempt_from_body,
    checkout_response,
    checkout_responses,
)
from shoptide.deps import (
    CellRead,
    CellWrite,
    CurrentMarket,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    GlobalRead,
    SettingsDep,
)

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


@router.post(
    "/checkout",
    response_model=CheckoutRead,
    status_code=status.HTTP_201_CREATED,
    responses=checkout_responses(unchanged="cart and stock", conflict="Out of stock"),
)
async def checkout(
    body: CheckoutIn,
    response: Response,
    user: CurrentShopper,
    market: CurrentMarket,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
) -> CheckoutRead | JSONResponse:
    """Pay for the cart. Send the same Idempotency-Key to retry safely."""
    attempt = attempt_from_body(
        body, key=idempotency_key, shopper_id=user.user_id, market=market, settings=settings
    )
    result = await flows.place(databases, gateway, attempt=attempt, card_number=body.card_number)
    return checkout_response(result, market, response)
