import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.checkout import flows, service
from shoptide.checkout.schemas import attempt_from_form
from shoptide.deps import (
    CellRead,
    CellWrite,
    CsrfChecked,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    GlobalRead,
    SettingsDep,
)
from shoptide.errors import DomainError
from shoptide.ids import INT4_MAX, Id
from shoptide.payments.gateway import TEST_CARDS
from shoptide.web.rendering import Page, PageDep

router = APIRouter()


@router.get("/cart", response_class=HTMLResponse)
async def cart(
    page: PageDep, user: CurrentShopper, cell: CellRead, global_: GlobalRead
) -> HTMLResponse:
    current = await service.get_cart(cell, global_, shopper_id=user.user_id, market=page.market)
    return page.render("checkout/cart.html", cart=current)


@router.post("/cart/add", dependencies=[CsrfChecked])
async def add(
    page: PageDep,
    user: CurrentShopper,
    cell: CellWrite,
    global_: GlobalRead,
    sku: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(le=INT4_MAX)] = 1,
    video_id: Annotated[Id | None, Form()] = None,
) -> RedirectResponse:
    await service.set_quantity(
        cell,
        global_,
        shopper_id=user.user_id,
        market=page.market,
        sku=sku,
        quantity=quantity,
        add=True,
        from_video=video_id,
    )
    page.flash(page.gettext("Added to your cart."))
    return RedirectResponse("/cart", status_code=303)


@router.post("/cart/update", dependencies=[CsrfChecked], response_model=None)
async def update(
    request: Request,
    page: PageDep,
    user: CurrentShopper,
    cell: CellWrite,
    global_: GlobalRead,
    sku: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(le=INT4_MAX)],
) -> HTMLResponse | RedirectResponse:
    """Change a line; htmx swaps in the new cart, a plain form post reloads the page."""
    current = await service.set_quantity(
        cell, global_, shopper_id=user.user_id, market=page.market, sku=sku, quantity=quantity
    )
    if request.headers.get("hx-request"):
        return page.render("checkout/_cart_body.html", cart=current)
    return RedirectResponse("/cart", status_code=303)


def _checkout_form(
    page: Page, shown: service.CheckoutPage, status_code: int = 200, **context: object
) -> HTMLResponse:
    return page.render(
        "checkout/checkout.html",
        status_code=status_code,
        cart=shown.cart,
        addresses=shown.addresses,
        test_cards=TEST_CARDS,
        idempotency_key=uuid.uuid4().hex,
        **context,
    )


@router.get("/checkout", response_class=HTMLResponse)
async def checkout_form(
    page: PageDep, user: CurrentShopper, cell: CellRead, global_: GlobalRead
) -> HTMLResponse:
    shown = await service.checkout_page(cell, global_, shopper_id=user.user_id, market=page.market)
    return _checkout_form(page, shown)


@router.post("/checkout", dependencies=[CsrfChecked], response_model=None)
async def place_order(
    request: Request,
    page: PageDep,
    user: CurrentShopper,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    card_number: Annotated[str, Form(max_length=30)],
    idempotency_key: Annotated[str, Form(max_length=100)],
) -> HTMLResponse | RedirectResponse:
    """Pay for the cart; the address it was paid with fills the next checkout's form. No
    session is held while the card is charged: the form, shown again, is read afterwards."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        attempt = attempt_from_form(
            form,
            key=idempotency_key,
            shopper_id=user.user_id,
            market=page.market,
            settings=settings,
        )
        result = await flows.place(databases, gateway, attempt=attempt, card_number=card_number)
    except DomainError as exc:
        status_code, error = exc.status_code, exc.message
    else:
        if result.paid:
            page.flash(page.gettext("Thank you! Your order is placed and paid."))
            one = len(result.orders) == 1
            return RedirectResponse(
                f"/orders/{result.orders[0].id}" if one else "/orders", status_code=303
            )
        status_code, error = 402, result.checkout.failure_reason
    shown = await flows.checkout_page(databases, shopper_id=user.user_id, market=page.market)
    return _checkout_form(page, shown, status_code, error=error, form=form)
