import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from shoptide.accounts import service as accounts_service
from shoptide.checkout import service
from shoptide.checkout.schemas import AddressIn
from shoptide.db import Databases
from shoptide.deps import (
    CellRead,
    CellWrite,
    CsrfChecked,
    CurrentCell,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    GlobalRead,
    SettingsDep,
)
from shoptide.errors import DomainError
from shoptide.markets.models import Market
from shoptide.orders.models import ShippingAddress
from shoptide.payments.gateway import TEST_CARDS
from shoptide.settings import Settings
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
    quantity: Annotated[int, Form()] = 1,
    video_id: Annotated[int | None, Form()] = None,
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
    quantity: Annotated[int, Form()],
) -> HTMLResponse | RedirectResponse:
    """Change a line; htmx swaps in the new cart, a plain form post reloads the page."""
    current = await service.set_quantity(
        cell, global_, shopper_id=user.user_id, market=page.market, sku=sku, quantity=quantity
    )
    if request.headers.get("hx-request"):
        return page.render("checkout/_cart_body.html", cart=current)
    return RedirectResponse("/cart", status_code=303)


async def _checkout_form(
    page: Page,
    user_id: int,
    cell: CellRead,
    global_: GlobalRead,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    current = await service.get_cart(cell, global_, shopper_id=user_id, market=page.market)
    addresses = await accounts_service.list_addresses(cell, user_id=user_id)
    return page.render(
        "checkout/checkout.html",
        status_code=status_code,
        cart=current,
        addresses=addresses,
        test_cards=TEST_CARDS,
        idempotency_key=uuid.uuid4().hex,
        **context,
    )


@router.get("/checkout", response_class=HTMLResponse)
async def checkout_form(
    page: PageDep, user: CurrentShopper, cell: CellRead, global_: GlobalRead
) -> HTMLResponse:
    return await _checkout_form(page, user.user_id, cell, global_)


def address_from_form(form: dict[str, str], market: str) -> ShippingAddress:
    try:
        address = AddressIn.model_validate(form)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]).replace("_", " ")
        raise DomainError(f"Check the shipping address: {field} is missing or too long.") from None
    return ShippingAddress(country_code=market, **address.model_dump())


def attempt_from_form(
    form: dict[str, str], *, key: str, shopper_id: int, market: Market, settings: Settings
) -> service.Attempt:
    """A checkout attempt from a page's form (its shipping address) and idempotency key."""
    address = address_from_form(form, market.code)
    return service.Attempt(shopper_id, market, key, address, settings.reservation_ttl)


async def remember_address(databases: Databases, cell: str, attempt: service.Attempt) -> None:
    """After a paid checkout from a page: its address prefills the next one."""
    async with databases.session(cell) as session:
        await accounts_service.remember_address(
            session, user_id=attempt.shopper_id, **asdict(attempt.address)
        )


@router.post("/checkout", dependencies=[CsrfChecked], response_model=None)
async def place_order(
    request: Request,
    page: PageDep,
    user: CurrentShopper,
    cell_name: CurrentCell,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    cell: CellRead,
    global_: GlobalRead,
    card_number: Annotated[str, Form(max_length=30)],
    idempotency_key: Annotated[str, Form(max_length=100)],
) -> HTMLResponse | RedirectResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        attempt = attempt_from_form(
            form,
            key=idempotency_key,
            shopper_id=user.user_id,
            market=page.market,
            settings=settings,
        )
        result = await service.place(
            databases, gateway, cell=cell_name, attempt=attempt, card_number=card_number
        )
    except DomainError as exc:
        return await _checkout_form(
            page,
            user.user_id,
            cell,
            global_,
            status_code=exc.status_code,
            error=exc.message,
            form=form,
        )
    if not result.paid:
        return await _checkout_form(
            page,
            user.user_id,
            cell,
            global_,
            status_code=402,
            error=result.checkout.failure_reason,
            form=form,
        )
    if not result.replayed:
        await remember_address(databases, cell_name, attempt)
    page.flash(page.gettext("Thank you! Your order is placed and paid."))
    if len(result.orders) == 1:
        return RedirectResponse(f"/orders/{result.orders[0].id}", status_code=303)
    return RedirectResponse("/orders", status_code=303)
