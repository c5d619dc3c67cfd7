"""Seller Center pages: a merchant's shop, products, orders and staff.

A UI over the catalog, orders and shops services. Routes parse the form, authorize through
`CurrentSeat`, call the service and render or redirect. A write opens its own unit of work
(`databases.session(...)`) inside the `try`, so a domain error rolls it back and the form is
shown again, with the message and what the merchant typed.
"""

import asyncio
import io
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from PIL import Image
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import creators as affiliate_creators
from shoptide.catalog import service as catalog_service
from shoptide.catalog.models import Product
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, StockUpdate
from shoptide.db import Databases
from shoptide.deps import (
    CsrfChecked,
    CurrentSeat,
    CurrentUser,
    DatabasesDep,
    GlobalRead,
    Seat,
    SettingsDep,
)
from shoptide.errors import DomainError, InvalidInput, NotFound
from shoptide.inventory import service as inventory_service
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.money import Money, exponent
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order
from shoptide.orders.schemas import CancelIn, LineRefundIn, ShipIn, order_number
from shoptide.payments import service as payments_service
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service
from shoptide.shops.schemas import StaffCreate
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller")

VARIANT_ROWS = 3  # rows on the new-product form; empty rows are skipped
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # Pillow format -> extension

SchemaT = TypeVar("SchemaT", bound=BaseModel)
OrderAct = Callable[[AsyncSession, Order], Awaitable[Order]]


# --- form helpers ---------------------------------------------------------------------------


async def _text_fields(request: Request) -> dict[str, str]:
    """The form's text fields as typed (files and the CSRF token left out)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def form_status(exc: DomainError) -> int:
    """A form naming something that doesn't exist (a category, a SKU) is a mistake in the form."""
    return 422 if isinstance(exc, NotFound) else exc.status_code


def _problem(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is required"
    if kind == "string_too_short":
        return f"needs at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"can be at most {ctx['max_length']} characters"
    return str(error["msg"])


def _field_message(error: ErrorDetails) -> str:
    name = " ".join(str(part) for part in error["loc"]).replace("_", " ").capitalize()
    return f"{name}: {_problem(error)}."


def _validated(
    schema: type[SchemaT],
    data: Mapping[str, Any],
    describe: Callable[[ErrorDetails], str] = _field_message,
) -> SchemaT:
    """The form's values as the API's schema, or InvalidInput with a sentence a person reads."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc.errors()[0])) from None


def _stock_message(market_name: str) -> Callable[[ErrorDetails], str]:
    return lambda _: f"Stock in {market_name}: enter a whole number from 0 to 1,000,000."


def _amount_example(currency: str) -> str:
    return "150000" if exponent(currency) == 0 else "12.99"


def _price_in(market: Market, amount: str) -> PriceIn:
    return _validated(
        PriceIn,
        {"market": market.code, "amount": amount, "currency": market.currency},
        lambda _: (
            f"Price in {market.name}: enter an amount in {market.currency} "
            f"like {_amount_example(market.currency)}."
        ),
    )


def _major_units(amount_minor: int, currency: str) -> str:
    return str(Money(amount_minor, currency).to_decimal())


# --- dashboard and shop switcher -----------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def dashboard(
    page: PageDep, seat: CurrentSeat, databases: DatabasesDep, session: GlobalRead
) -> HTMLResponse:
    counts: Counter[str] = Counter()
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as cell_session:
            counts.update(await orders_service.count_by_status(cell_session, shop_id=seat.shop.id))
    shops = await shops_service.memberships(session, user_id=seat.user.user_id)
    return page.render("seller/dashboard.html", seat=seat, counts=counts, shops=shops)


@router.post("/shop", dependencies=[CsrfChecked])
async def switch_shop(
    request: Request,
    page: PageDep,
    user: CurrentUser,
    session: GlobalRead,
    shop_id: Annotated[int, Form()],
) -> RedirectResponse:
    """Act for another of your shops (CurrentSeat reads the choice from the session)."""
    await shops_service.membership(session, user_id=user.user_id, shop_id=shop_id)
    shop = await shops_service.get(session, shop_id)
    request.session["shop_id"] = shop.id
    page.flash(f"You are now working in {shop.name}.")
    return RedirectResponse("/seller", status_code=303)


# --- products -------------------------------------------------------------------------------


@router.get("/products", response_class=HTMLResponse)
async def products(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    items = await catalog_service.list_for_shop(session, shop_id=seat.shop.id)
    return page.render("seller/products.html", seat=seat, products=items)


async def _new_product_form(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return page.render(
        "seller/product_new.html",
        status_code=status_code,
        seat=seat,
        categories=await catalog_service.list_categories(session),
        rows=range(1, VARIANT_ROWS + 1),
        form=form or {},
        error=error,
    )


@router.get("/products/new", response_class=HTMLResponse)
async def new_product(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _new_product_form(page, seat, session)


def _describe_create_error(
    error: ErrorDetails, rows: Sequence[int], priced: Sequence[Sequence[Market]]
) -> str:
    loc = error["loc"]
    if loc[0] != "variants":
        return _field_message(error)
    if len(loc) == 1:
        return "Add at least one variant: a SKU and a price in one market or more."
    index = int(loc[1])
    where = f"Variant {rows[index]}"
    field = loc[2] if len(loc) > 2 else ""
    if field == "sku":
        return f"{where}: the SKU is required; use letters, digits, '.', '_' or '-' (up to 64)."
    if field == "prices" and len(loc) == 3:
        return f"{where}: give it a price in at least one market."
    if field == "prices":
        market = priced[index][int(loc[3])]
        return (
            f"{where}, price in {market.name}: enter an amount in {market.currency} "
            f"like {_amount_example(market.currency)}."
        )
    if field == "stock":
        return f"{where}, stock in {loc[3]}: enter a whole number from 0 to 1,000,000."
    return f"{where}, {field}: {_problem(error)}."


def _product_from_form(form: Mapping[str, str], markets: Sequence[Market]) -> ProductCreate:
    """Fixed variant rows; a blank price means 'not sold in that market'."""
    if not form.get("category"):
        raise InvalidInput("Choose a category.")
    variants, rows, priced = [], [], []
    for row in range(1, VARIANT_ROWS + 1):
        typed = {
            k[len(f"v{row}_") :]: v.strip() for k, v in form.items() if k.startswith(f"v{row}_")
        }
        if not any(typed.values()):
            continue
        with_price = [m for m in markets if typed.get(f"price_{m.code}")]
        variants.append(
            {
                "sku": typed.get("sku", ""),
                "size": typed.get("size", ""),
                "colour": typed.get("colour", ""),
                "prices": [
                    {"market": m.code, "amount": typed[f"price_{m.code}"], "currency": m.currency}
                    for m in with_price
                ],
                "stock": {
                    m.code: typed[f"stock_{m.code}"]
                    for m in markets
                    if typed.get(f"stock_{m.code}")
                },
            }
        )
        rows.append(row)
        priced.append(with_price)
    data = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "category": form["category"],
        "variants": variants,
    }
    return _validated(
        ProductCreate, data, lambda error: _describe_create_error(error, rows, priced)
    )


@router.post("/products", dependencies=[CsrfChecked], response_model=None)
async def create_product(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
) -> HTMLResponse | RedirectResponse:
    form = await _text_fields(request)
    try:
        data = _product_from_form(form, page.markets)
        product = await catalog_service.create_with_stock(
            databases, shop_id=seat.shop.id, data=data
        )
    except DomainError as exc:
        return await _new_product_form(
            page, seat, session, status_code=form_status(exc), form=form, error=exc.message
        )
    page.flash(f"“{product.title}” is saved as a draft. Add pictures, then publish it.")
    return RedirectResponse(f"/seller/products/{product.id}", status_code=303)


async def _stock_levels(
    databases: Databases, variant_ids: list[int], markets: Sequence[Market]
) -> dict[tuple[int, str], int]:
    """Units available per (variant, market), read from each market's cell."""
    by_cell: dict[str, list[str]] = {}
    for market in markets:
        by_cell.setdefault(databases.settings.cell_of_market(market.code), []).append(market.code)
    levels: dict[tuple[int, str], int] = {}
    for cell, codes in by_cell.items():
        async with databases.session(cell, write=False) as session:
            for code in codes:
                found = await inventory_service.levels(session, variant_ids, market=code)
                levels.update({(variant_id, code): n for variant_id, n in found.items()})
    return levels


async def _product_page(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    databases: Databases,
    product_id: int,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    product = await catalog_service.get_for_shop(session, product_id, shop_id=seat.shop.id)
    listings = await catalog_service.listings_by_variant(session, product.id)
    prices = {
        (variant_id, listing.market_code): _major_units(listing.price_minor, listing.currency)
        for variant_id, rows in listings.items()
        for listing in rows
    }
    stock = await _stock_levels(databases, [v.id for v in product.variants], page.markets)
    return page.render(
        "seller/product_edit.html",
        status_code=status_code,
        seat=seat,
        product=product,
        categories=await catalog_service.list_categories(session),
        prices=prices,
        stock=stock,
        **{"details": None, "form": None, "form_sku": None, "error": None, **context},
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def edit_product(
    product_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse:
    return await _product_page(page, seat, session, databases, product_id)


ProductChange = Callable[[AsyncSession, Product], Awaitable[object]]


async def _change_product(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    databases: Databases,
    product_id: int,
    change: ProductChange,
    *,
    done: str,
    **form_context: Any,
) -> HTMLResponse | RedirectResponse:
    """Apply `change` to the shop's own product in one global transaction, then go back to
    the edit page; a domain error shows the page again with the message and what was typed."""
    try:
        async with databases.session(GLOBAL_CELL) as write:
            product = await catalog_service.get_for_shop(write, product_id, shop_id=seat.shop.id)
            await change(write, product)
    except DomainError as exc:
        return await _product_page(
            page,
            seat,
            session,
            databases,
            product_id,
            status_code=form_status(exc),
            error=exc.message,
            **form_context,
        )
    page.flash(done)
    return RedirectResponse(f"/seller/products/{product_id}", status_code=303)


@router.post("/products/{product_id}", dependencies=[CsrfChecked], response_model=None)
async def update_product(
    product_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = await _text_fields(request)

    async def update(write: AsyncSession, product: Product) -> None:
        fields = {
            "title": form.get("title", ""),
            "description": form.get("description", ""),
            "category": form.get("category") or None,
        }
        await catalog_service.update(write, product, data=_validated(ProductUpdate, fields))

    return await _change_product(
        page,
        seat,
        session,
        databases,
        product_id,
        update,
        done="Product details saved.",
        details=form,
    )


def _variant_changes(
    form: Mapping[str, str], sku: str, markets: Sequence[Market]
) -> tuple[list[PriceIn], list[StockUpdate]]:
    """The prices and stock levels the merchant changed (blank = leave as it is)."""
    prices, levels = [], []
    for market in markets:
        amount = form.get(f"price_{market.code}", "").strip()
        if amount and amount != form.get(f"price_was_{market.code}"):
            prices.append(_price_in(market, amount))
        available = form.get(f"stock_{market.code}", "").strip()
        # Only levels the merchant edited: re-sending the level shown when the page loaded
        # would undo the sales made since.
        if available and available != form.get(f"stock_was_{market.code}"):
            levels.append(
                _validated(
                    StockUpdate,
                    {"sku": sku, "market": market.code, "available": available},
                    _stock_message(market.name),
                )
            )
    return prices, levels


@router.post("/products/{product_id}/variant", dependencies=[CsrfChecked], response_model=None)
async def save_variant(
    product_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    """One variant's price and stock in every market."""
    form = await _text_fields(request)
    sku = form.get("sku", "")

    async def save(write: AsyncSession, product: Product) -> None:
        # prices first, in this transaction, so the stock check below sees them
        prices, levels = _variant_changes(form, sku, page.markets)
        for price in prices:
            await catalog_service.set_price(write, product, sku=sku, price=price)
        for level in levels:
            await catalog_service.set_stock(
                databases, write, product, sku=sku, market=level.market, available=level.available
            )

    return await _change_product(
        page,
        seat,
        session,
        databases,
        product_id,
        save,
        done=f"Prices and stock of {sku} saved.",
        form=form,
        form_sku=sku,
    )


def image_extension(data: bytes) -> str:
    """The file's real type as Pillow reads it: a PNG, JPEG or WebP whose structure checks out."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError...) on junk
        raise InvalidInput("Upload a PNG, JPEG or WebP picture; this file isn't one.") from None
    if kind not in IMAGE_FORMATS:
        raise InvalidInput("Upload a PNG, JPEG or WebP picture.")
    return IMAGE_FORMATS[kind]


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@router.post("/products/{product_id}/images", dependencies=[CsrfChecked], response_model=None)
async def upload_image(
    product_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
    settings: SettingsDep,
    image: Annotated[UploadFile, File()],
) -> HTMLResponse | RedirectResponse:
    try:
        data = await image.read(MAX_IMAGE_BYTES + 1)
        if not data:
            raise InvalidInput("Choose a picture to upload.")
        if len(data) > MAX_IMAGE_BYTES:
            raise InvalidInput("Pictures can be at most 5 MB.")
        extension = await asyncio.to_thread(image_extension, data)
    except DomainError as exc:
        return await _product_page(
            page,
            seat,
            session,
            databases,
            product_id,
            status_code=exc.status_code,
            error=exc.message,
        )
    filename = f"products/{product_id}-{uuid.uuid4().hex}.{extension}"
    path = settings.media_dir / filename

    async def add(write: AsyncSession, product: Product) -> None:
        await asyncio.to_thread(write_file, path, data)  # only once the product is theirs
        await catalog_service.add_image(write, product, filename=filename)

    try:
        return await _change_product(
            page, seat, session, databases, product_id, add, done="Picture added."
        )
    except BaseException:
        path.unlink(missing_ok=True)  # the transaction failed: no row points at it
        raise


@router.post("/products/{product_id}/status", dependencies=[CsrfChecked], response_model=None)
async def set_status(
    product_id: int,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
    status: Annotated[str, Form(pattern="^(draft|published)$")],
) -> HTMLResponse | RedirectResponse:
    async def set_to(write: AsyncSession, product: Product) -> None:
        await catalog_service.set_status(write, product, status=status)

    return await _change_product(
        page,
        seat,
        session,
        databases,
        product_id,
        set_to,
        done="Published: shoppers can find it in every market where it has a price."
        if status == "published"
        else "Unpublished: it is a draft again, hidden from shoppers.",
    )


# --- orders ---------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
async def orders(
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    before: Annotated[datetime | None, Query(description="Older than this placing time")] = None,
) -> HTMLResponse:
    if status and status not in orders_service.STATUS_LABELS:
        raise InvalidInput(f"There is no order status {status!r}.")
    listing = await orders_service.shop_orders_page(
        databases, shop_id=seat.shop.id, status=status or None, before=before
    )
    return page.render(
        "seller/orders.html",
        seat=seat,
        orders=listing.orders,
        older_than=listing.older_than.isoformat() if listing.older_than else None,
        status=status or "",
        number=order_number,
    )


@asynccontextmanager
async def _shop_order(
    databases: Databases, seat: Seat, market: str, order_id: int, *, write: bool
) -> AsyncIterator[tuple[AsyncSession, Order]]:
    """The seat's own order, from the cell of the market named in the URL, or NotFound."""
    code = market.upper()
    cell = databases.settings.cell_of_market(code)
    async with databases.session(cell, write=write) as session:
        order = await orders_service.get_for_shop(
            session, order_id, shop_id=seat.shop.id, market=code
        )
        yield session, order


async def _order_page(
    page: Page,
    databases: Databases,
    seat: Seat,
    market: str,
    order_id: int,
    *,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    async with _shop_order(databases, seat, market, order_id, write=False) as (session, order):
        refund = (await payments_service.cancellation_refunds(session, [order.id])).get(order.id)
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        creators = await affiliate_creators.by_ids(global_, orders_service.creator_ids([order]))
    return page.render(
        "seller/order.html",
        status_code=status_code,
        seat=seat,
        order=order,
        refund=refund,
        creators=creators,
        refundable=order.status in orders_service.REFUNDABLE_STATUSES,
        number=order_number,
        next_statuses=orders_service.TRANSITIONS[order.status],
        form=form or {},
        error=error,
    )


@router.get("/orders/{market}/{order_id}", response_class=HTMLResponse)
async def order_detail(
    market: str, order_id: int, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    return await _order_page(page, databases, seat, market, order_id)


async def _order_action(
    page: Page,
    databases: Databases,
    seat: Seat,
    market: str,
    order_id: int,
    act: OrderAct,
    *,
    form: Mapping[str, str],
    done: str,
) -> HTMLResponse | RedirectResponse:
    try:
        async with _shop_order(databases, seat, market, order_id, write=True) as (session, found):
            await act(session, found)
    except DomainError as exc:  # e.g. InvalidTransition: show it on the order, keep the inputs
        return await _order_page(
            page,
            databases,
            seat,
            market,
            order_id,
            status_code=exc.status_code,
            form=form,
            error=exc.message,
        )
    page.flash(done)
    return RedirectResponse(f"/seller/orders/{market.upper()}/{order_id}", status_code=303)


@router.post("/orders/{market}/{order_id}/ship", dependencies=[CsrfChecked], response_model=None)
async def ship_order(
    market: str,
    order_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = await _text_fields(request)

    async def ship(session: AsyncSession, order: Order) -> Order:
        body = _validated(ShipIn, form)
        return await orders_service.ship(
            session, order, carrier=body.carrier, tracking_number=body.tracking_number
        )

    return await _order_action(
        page,
        databases,
        seat,
        market,
        order_id,
        ship,
        form=form,
        done="Order shipped. The shopper can follow the tracking number.",
    )


@router.post("/orders/{market}/{order_id}/cancel", dependencies=[CsrfChecked], response_model=None)
async def cancel_order(
    market: str,
    order_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = await _text_fields(request)

    async def cancel(session: AsyncSession, order: Order) -> Order:
        body = _validated(CancelIn, form)
        return await orders_service.cancel(session, order, reason=body.reason)

    return await _order_action(
        page,
        databases,
        seat,
        market,
        order_id,
        cancel,
        form=form,
        done="Order cancelled. The stock is back and the shopper will be refunded.",
    )


def _amount_minor(raw: str, currency: str) -> int:
    """A major-unit amount as typed ("5.00") in minor units, or a sentence saying how."""
    try:
        return Money.from_decimal(raw.strip(), currency).amount
    except (ValueError, ArithmeticError):
        raise InvalidInput(
            f"Amount: enter an amount in {currency} like {_amount_example(currency)}."
        ) from None


@router.post(
    "/orders/{market}/{order_id}/lines/{line_id}/refund",
    dependencies=[CsrfChecked],
    response_model=None,
)
async def refund_order_line(
    market: str,
    order_id: int,
    line_id: int,
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = {**await _text_fields(request), "line_id": str(line_id)}
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        placed_in = await markets_service.get(global_, market)

    async def refund(session: AsyncSession, order: Order) -> Order:
        body = _validated(
            LineRefundIn,
            {
                "amount_minor": _amount_minor(form.get("amount", ""), order.currency),
                "reason": form.get("reason", "refund"),
                "note": form.get("note", ""),
            },
        )
        await orders_service.refund_line(
            session,
            order,
            market=placed_in,
            line_id=line_id,
            amount_minor=body.amount_minor,
            reason=body.reason,
            note=body.note,
        )
        return order

    returned = form.get("reason") == "return"
    return await _order_action(
        page,
        databases,
        seat,
        market,
        order_id,
        refund,
        form=form,
        done=("Return recorded and refunded." if returned else "Refund recorded.")
        + " The money goes back to the shopper's card.",
    )


# steps that need nothing but a click: the service call and what the merchant is told
# (declared after /ship and /cancel, which this route's {step} would otherwise catch)
SIMPLE_STEPS = {
    "confirm": (orders_service.confirm, "Order confirmed. Pack it and ship it."),
    "deliver": (orders_service.deliver, "Order marked delivered."),
}


@router.post(
    "/orders/{market}/{order_id}/{step}",
    dependencies=[CsrfChecked],
    response_model=None,
)
async def simple_order_step(
    market: str,
    order_id: int,
    step: Literal["confirm", "deliver"],
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    act, done = SIMPLE_STEPS[step]
    return await _order_action(page, databases, seat, market, order_id, act, form={}, done=done)


# --- staff ----------------------------------------------------------------------------------


async def _staff_page(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    members = await shops_service.list_members(session, shop_id=seat.shop.id)
    return page.render(
        "seller/staff.html",
        status_code=status_code,
        seat=seat,
        members=members,
        form=form or {},
        error=error,
    )


@router.get("/staff", response_class=HTMLResponse)
async def staff(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _staff_page(page, seat, session)


@router.post("/staff", dependencies=[CsrfChecked], response_model=None)
async def add_staff(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    """Owners create a merchant account for a colleague; staff are told only owners can."""
    form = await _text_fields(request)
    try:
        body = _validated(
            StaffCreate,
            {k: form.get(k, "") for k in ("email", "display_name", "password")}
            | {"role": form.get("role") or "staff"},
        )
        async with databases.session(GLOBAL_CELL) as write:
            user = await shops_service.add_staff_account(
                write,
                shop_id=seat.shop.id,
                acting_role=seat.role,
                email=body.email,
                display_name=body.display_name,
                password=body.password,
                role=body.role,
                passwords=request.app.state.passwords,
            )
    except DomainError as exc:
        typed = {k: v for k, v in form.items() if k != "password"}
        return await _staff_page(
            page, seat, session, status_code=exc.status_code, form=typed, error=exc.message
        )
    page.flash(f"{user.display_name} can now sign in to {seat.shop.name} as {body.role}.")
    return RedirectResponse("/seller/staff", status_code=303)
