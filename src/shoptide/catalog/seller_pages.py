"""Seller Center → Products: the shop's products, the new-product form, and each product's
page (details, prices and stock per market, pictures, publishing).

Each write is one catalog flow that owns its unit of work; `web.forms.submit` shows the form
again with the message and what the merchant typed when the flow refuses.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import flows, service
from shoptide.catalog.images import MAX_IMAGE_BYTES
from shoptide.catalog.models import Product, ProductImage
from shoptide.catalog.schemas import PriceIn, ProductCreate, ProductUpdate, StockUpdate
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep, GlobalRead, Seat
from shoptide.errors import InvalidInput
from shoptide.ids import Id
from shoptide.markets.models import Market
from shoptide.web.forms import (
    Redisplay,
    amount_example,
    field_message,
    major_units,
    problem,
    submit,
    text_fields,
    validated,
)
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/seller")

VARIANT_ROWS = 3  # rows on the new-product form; empty rows are skipped


# --- the list and the new-product form --------------------------------------------------------


@router.get("/products", response_class=HTMLResponse)
async def products(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    items = await service.list_for_shop(session, shop_id=seat.shop.id)
    return page.render("seller/products.html", seat=seat, products=items)


async def _new_product_form(
    page: Page,
    seat: Seat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return page.render(
        "seller/product_new.html",
        status_code=status_code,
        seat=seat,
        categories=await service.list_categories(session),
        rows=range(1, VARIANT_ROWS + 1),
        form=form or {},
        error=error,
    )


@router.get("/products/new", response_class=HTMLResponse)
async def new_product(page: PageDep, seat: CurrentSeat, session: GlobalRead) -> HTMLResponse:
    return await _new_product_form(page, seat, session)


def _price_message(where: str, market: Market) -> str:
    example = amount_example(market.currency)
    return f"{where}: enter an amount above zero in {market.currency} like {example}."


def _describe_create_error(
    error: ErrorDetails, rows: Sequence[int], priced: Sequence[Sequence[Market]]
) -> str:
    loc = error["loc"]
    if loc[0] != "variants":
        return field_message(error)
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
        return _price_message(f"{where}, price in {market.name}", market)
    if field == "stock":
        return f"{where}, stock in {loc[3]}: enter a whole number from 0 to 1,000,000."
    return f"{where}, {field}: {problem(error)}."


def _variant_row(typed: Mapping[str, str], markets: Sequence[Market]) -> dict[str, Any]:
    """One row of the new-product form; a blank price means 'not sold in that market'."""
    return {
        "sku": typed.get("sku", ""),
        "size": typed.get("size", ""),
        "colour": typed.get("colour", ""),
        "prices": [
            {"market": m.code, "amount": typed[f"price_{m.code}"], "currency": m.currency}
            for m in markets
            if typed.get(f"price_{m.code}")
        ],
        "stock": {
            m.code: typed[f"stock_{m.code}"] for m in markets if typed.get(f"stock_{m.code}")
        },
    }


def _product_from_form(form: Mapping[str, str], markets: Sequence[Market]) -> ProductCreate:
    """The fixed variant rows that have anything typed in them, as the API's schema."""
    if not form.get("category"):
        raise InvalidInput("Choose a category.")
    variants, rows, priced = [], [], []
    for row in range(1, VARIANT_ROWS + 1):
        prefix = f"v{row}_"
        typed = {k[len(prefix) :]: v.strip() for k, v in form.items() if k.startswith(prefix)}
        if not any(typed.values()):
            continue
        variants.append(_variant_row(typed, markets))
        rows.append(row)
        priced.append([m for m in markets if typed.get(f"price_{m.code}")])
    data = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "category": form["category"],
        "variants": variants,
    }
    return validated(ProductCreate, data, lambda error: _describe_create_error(error, rows, priced))


@router.post("/products", dependencies=[CsrfChecked], response_model=None)
async def create_product(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    session: GlobalRead,
) -> HTMLResponse | RedirectResponse:
    form = await text_fields(request)

    async def create() -> Product:
        data = _product_from_form(form, page.markets)
        return await flows.create_with_stock(databases, shop_id=seat.shop.id, data=data)

    return await submit(
        page,
        create,
        again=partial(_new_product_form, page, seat, session),
        form=form,
        done=lambda product: (
            f"“{product.title}” is saved as a draft. Add pictures, then publish it."
        ),
        to=lambda product: f"/seller/products/{product.id}",
    )


# --- a product's page -------------------------------------------------------------------------


async def _product_page(
    page: Page,
    seat: Seat,
    databases: Databases,
    product_id: Id,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    editor = await flows.product_editor(
        databases, shop_id=seat.shop.id, product_id=product_id, markets=page.markets
    )
    prices = {
        (variant_id, listing.market_code): major_units(listing.price_minor, listing.currency)
        for variant_id, rows in editor.listings.items()
        for listing in rows
    }
    return page.render(
        "seller/product_edit.html",
        status_code=status_code,
        seat=seat,
        product=editor.product,
        categories=editor.categories,
        prices=prices,
        stock=editor.stock,
        **{"details": None, "form": None, "form_sku": None, "error": None, **context},
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def edit_product(
    product_id: Id, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    return await _product_page(page, seat, databases, product_id)


def _again(page: Page, seat: Seat, databases: Databases, product_id: Id, **typed: Any) -> Redisplay:
    """Shows the product's page again with the error; `typed` names the form it came from
    (`details=form`, or `form=form, form_sku=sku`)."""

    async def again(
        *, status_code: int, error: str, form: Mapping[str, Any] | None
    ) -> HTMLResponse:
        return await _product_page(
            page, seat, databases, product_id, status_code=status_code, error=error, **typed
        )

    return again


@router.post("/products/{product_id}", dependencies=[CsrfChecked], response_model=None)
async def update_product(
    product_id: Id, request: Request, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse | RedirectResponse:
    form = await text_fields(request)

    async def update() -> Product:
        fields = {
            "title": form.get("title", ""),
            "description": form.get("description", ""),
            "category": form.get("category") or None,
        }
        return await flows.update_details(
            databases,
            shop_id=seat.shop.id,
            product_id=product_id,
            data=validated(ProductUpdate, fields),
        )

    return await submit(
        page,
        update,
        again=_again(page, seat, databases, product_id, details=form),
        done="Product details saved.",
        to=f"/seller/products/{product_id}",
    )


def _says(message: str) -> Callable[[ErrorDetails], str]:
    """The same sentence whatever is wrong with the field."""
    return lambda _: message


def _variant_changes(
    form: Mapping[str, str], sku: str, markets: Sequence[Market]
) -> tuple[list[PriceIn], list[StockUpdate]]:
    """The prices and stock levels the merchant changed (blank = leave as it is)."""
    prices, levels = [], []
    for market in markets:
        amount = form.get(f"price_{market.code}", "").strip()
        if amount and amount != form.get(f"price_was_{market.code}"):
            price = {"market": market.code, "amount": amount, "currency": market.currency}
            prices.append(
                validated(PriceIn, price, _says(_price_message(f"Price in {market.name}", market)))
            )
        available = form.get(f"stock_{market.code}", "").strip()
        # Only levels the merchant edited: re-sending the level shown when the page loaded
        # would undo the sales made since.
        if available and available != form.get(f"stock_was_{market.code}"):
            level = {"sku": sku, "market": market.code, "available": available}
            whole = f"Stock in {market.name}: enter a whole number from 0 to 1,000,000."
            levels.append(validated(StockUpdate, level, _says(whole)))
    return prices, levels


@router.post("/products/{product_id}/variant", dependencies=[CsrfChecked], response_model=None)
async def save_variant(
    product_id: Id, request: Request, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse | RedirectResponse:
    """One variant's price and stock in every market."""
    form = await text_fields(request)
    sku = form.get("sku", "")

    async def save() -> Product:
        prices, levels = _variant_changes(form, sku, page.markets)
        return await flows.save_variant(
            databases,
            shop_id=seat.shop.id,
            product_id=product_id,
            sku=sku,
            prices=prices,
            levels=levels,
        )

    return await submit(
        page,
        save,
        again=_again(page, seat, databases, product_id, form=form, form_sku=sku),
        done=f"Prices and stock of {sku} saved.",
        to=f"/seller/products/{product_id}",
    )


@router.post("/products/{product_id}/images", dependencies=[CsrfChecked], response_model=None)
async def upload_image(
    product_id: Id,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    image: Annotated[UploadFile, File()],
) -> HTMLResponse | RedirectResponse:
    data = await image.read(MAX_IMAGE_BYTES + 1)  # one byte over shows a file too large

    async def add() -> ProductImage:
        return await flows.add_picture(
            databases, shop_id=seat.shop.id, product_id=product_id, data=data
        )

    return await submit(
        page,
        add,
        again=_again(page, seat, databases, product_id),
        done="Picture added.",
        to=f"/seller/products/{product_id}",
    )


@router.post("/products/{product_id}/status", dependencies=[CsrfChecked], response_model=None)
async def set_status(
    product_id: Id,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    status: Annotated[str, Form(pattern="^(draft|published)$")],
) -> HTMLResponse | RedirectResponse:
    async def set_to() -> Product:
        return await flows.set_status(
            databases, shop_id=seat.shop.id, product_id=product_id, status=status
        )

    return await submit(
        page,
        set_to,
        again=_again(page, seat, databases, product_id),
        done="Published: shoppers can find it in every market where it has a price."
        if status == "published"
        else "Unpublished: it is a draft again, hidden from shoppers.",
        to=f"/seller/products/{product_id}",
    )
