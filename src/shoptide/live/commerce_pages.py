"""The selling parts of a live room as htmx fragments: the host's deal console and offer
inbox, the viewer's offer panel and checkout drawer.

Each write runs in its own unit of work and is announced to the room through the hub only
after it committed. Fragments answer a mistake with a 4xx and the fragment again, with the
message (live_commerce.js lets htmx swap those in).
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.checkout.pages import attempt_from_form, remember_address
from shoptide.db import Databases
from shoptide.deps import (
    CsrfChecked,
    CurrentSeat,
    CurrentUser,
    DatabasesDep,
    GatewayDep,
    OptionalUser,
    SettingsDep,
)
from shoptide.errors import DomainError
from shoptide.live import commerce, rooms, selling
from shoptide.live.commerce import RoomOrder
from shoptide.live.models import Offer
from shoptide.payments.gateway import TEST_CARDS
from shoptide.web.rendering import Page, PageDep

host_router = APIRouter(prefix="/seller/live/{public_name}")
viewer_router = APIRouter(prefix="/live/{public_name}")

DEAL_LENGTHS = (30, 60, 120, 300, 600, 1800)  # seconds offered on the deal form


def _hub(request: Request) -> selling.Publisher:
    return request.app.state.live_hub


# --- host: flash deals --------------------------------------------------------------------


async def _deal_console(
    page: Page, databases: Databases, public_name: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    async with rooms.in_room(databases, public_name) as scope:
        product_ids = [p.product_id for p in scope.room.products]
        return page.render(
            "live_commerce/deal_console.html",
            status_code=status_code,
            room=scope.room,
            room_market=scope.market,
            variants=await catalog_service.sellables_of_products(
                scope.global_, product_ids, market=scope.room.market_code
            ),
            deals=await commerce.active_deals(scope.cell, scope.global_, scope.room),
            deal_lengths=DEAL_LENGTHS,
            **extra,
        )


async def _hosted(databases: Databases, public_name: str, shop_id: int) -> None:
    async with rooms.in_room(databases, public_name) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)


@host_router.get("/deals", response_class=HTMLResponse)
async def deal_console(
    public_name: str, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    await _hosted(databases, public_name, seat.shop.id)
    return await _deal_console(page, databases, public_name)


@host_router.post("/deals", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def start_deal(
    request: Request,
    public_name: str,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    sku: Annotated[str, Form(max_length=64)],
    price: Annotated[str, Form(max_length=20)],
    quantity: Annotated[int, Form()],
    seconds: Annotated[int, Form()],
    per_viewer: Annotated[int, Form()] = 0,
) -> HTMLResponse:
    try:
        await selling.start_deal(
            databases,
            _hub(request),
            public_name,
            shop_id=seat.shop.id,
            sku=sku,
            price=price,
            quantity=quantity,
            seconds=seconds,
            per_viewer=per_viewer,
        )
    except DomainError as exc:
        form = {
            "sku": sku,
            "price": price,
            "quantity": quantity,
            "seconds": seconds,
            "per_viewer": per_viewer,
        }
        return await _deal_console(
            page, databases, public_name, status_code=exc.status_code, error=exc.message, form=form
        )
    return await _deal_console(page, databases, public_name)


@host_router.post("/deals/{deal_id}/end", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def end_deal(
    request: Request,
    public_name: str,
    deal_id: int,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> HTMLResponse:
    await selling.end_deal(
        databases, _hub(request), public_name, shop_id=seat.shop.id, deal_id=deal_id
    )
    return await _deal_console(page, databases, public_name)


# --- host: offers -------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRow:
    offer: Offer
    buyer: str
    title: str
    sku: str

    @property
    def usable(self) -> bool:
        return commerce.offer_usable(self.offer)


async def _offer_rows(scope: rooms.RoomScope, offers: list[Offer]) -> list[OfferRow]:
    sellables = await catalog_service.sellables(
        scope.global_, [o.variant_id for o in offers], market=scope.room.market_code
    )
    buyers = await accounts_service.display_names(scope.cell, [o.shopper_id for o in offers])
    rows = []
    for offer in offers:
        sellable = sellables.get(offer.variant_id)
        title = f"{sellable.title} ({sellable.variant_label})" if sellable else "?"
        sku = sellable.sku if sellable else ""
        rows.append(OfferRow(offer, buyers.get(offer.shopper_id, "?"), title, sku))
    return rows


async def _offer_inbox(
    page: Page, databases: Databases, public_name: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    async with rooms.in_room(databases, public_name) as scope:
        waiting = await commerce.offers_waiting(scope.cell, scope.room)
        return page.render(
            "live_commerce/offer_inbox.html",
            status_code=status_code,
            room=scope.room,
            room_market=scope.market,
            rows=await _offer_rows(scope, waiting),
            **extra,
        )


@host_router.get("/offers", response_class=HTMLResponse)
async def offer_inbox(
    public_name: str, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    await _hosted(databases, public_name, seat.shop.id)
    return await _offer_inbox(page, databases, public_name)


@host_router.post("/offers/{offer_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def answer_offer(
    request: Request,
    public_name: str,
    offer_id: int,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    action: Annotated[str, Form(max_length=10)],
    counter_price: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    try:
        await selling.answer_offer(
            databases,
            _hub(request),
            public_name,
            shop_id=seat.shop.id,
            offer_id=offer_id,
            action=action,
            counter_price=counter_price,
        )
    except DomainError as exc:
        return await _offer_inbox(
            page, databases, public_name, status_code=exc.status_code, error=exc.message
        )
    return await _offer_inbox(page, databases, public_name)


# --- viewer: offers -----------------------------------------------------------------------


def _shopper_of(user: Principal | None) -> Principal | None:
    return user if user is not None and user.role == "shopper" else None


async def _offer_panel(
    page: Page,
    databases: Databases,
    public_name: str,
    user: Principal | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    async with rooms.in_room(databases, public_name) as scope:
        pinned = await commerce.pinned_product(scope.cell, scope.room)
        shopper = _shopper_of(user)
        latest = (
            await commerce.latest_offer(scope.cell, scope.room, shopper_id=shopper.user_id)
            if shopper
            else None
        )
        return page.render(
            "live_commerce/offer_panel.html",
            status_code=status_code,
            room=scope.room,
            room_market=scope.market,
            shopper=shopper,
            latest=(await _offer_rows(scope, [latest]))[0] if latest else None,
            variants=await catalog_service.sellables_of_products(
                scope.global_, [pinned], market=scope.room.market_code
            )
            if pinned
            else [],
            **extra,
        )


@viewer_router.get("/offer-panel", response_class=HTMLResponse)
async def offer_panel(
    public_name: str, page: PageDep, user: OptionalUser, databases: DatabasesDep
) -> HTMLResponse:
    return await _offer_panel(page, databases, public_name, user)


@viewer_router.post("/offers", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def make_offer(
    request: Request,
    public_name: str,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    sku: Annotated[str, Form(max_length=64)],
    price: Annotated[str, Form(max_length=20)],
) -> HTMLResponse:
    try:
        await selling.make_offer(
            databases, _hub(request), public_name, user=user, sku=sku, price=price
        )
    except DomainError as exc:
        return await _offer_panel(
            page, databases, public_name, user, status_code=exc.status_code, error=exc.message
        )
    return await _offer_panel(page, databases, public_name, user)


@viewer_router.post(
    "/offers/{offer_id}/counter", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def answer_counter(
    request: Request,
    public_name: str,
    offer_id: int,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    take: Annotated[bool, Form()],
) -> HTMLResponse:
    try:
        await selling.answer_counter(
            databases, _hub(request), public_name, user=user, offer_id=offer_id, take=take
        )
    except DomainError as exc:
        return await _offer_panel(
            page, databases, public_name, user, status_code=exc.status_code, error=exc.message
        )
    return await _offer_panel(page, databases, public_name, user)


# --- viewer: the checkout drawer ----------------------------------------------------------


async def _drawer(
    page: Page,
    databases: Databases,
    public_name: str,
    user: Principal,
    order: RoomOrder,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    async with rooms.in_room(databases, public_name) as scope:
        item = await commerce.drawer_item(
            scope.cell,
            scope.global_,
            scope.room,
            shopper_id=user.user_id,
            market=page.market,
            order=order,
        )
        addresses = await accounts_service.list_addresses(scope.cell, user_id=user.user_id)
        return page.render(
            "live_commerce/drawer.html",
            status_code=status_code,
            room=scope.room,
            item=item,
            order=order,
            addresses=addresses,
            test_cards=TEST_CARDS,
            idempotency_key=uuid.uuid4().hex,
            **extra,
        )


def _sign_in_first(page: Page, public_name: str) -> HTMLResponse:
    return page.render("live_commerce/sign_in_first.html", status_code=401, public_name=public_name)


@viewer_router.get("/drawer", response_class=HTMLResponse)
async def drawer(
    public_name: str,
    page: PageDep,
    user: OptionalUser,
    databases: DatabasesDep,
    sku: Annotated[str, Query(max_length=64)],
    deal: int | None = None,
    offer: int | None = None,
) -> HTMLResponse:
    if _shopper_of(user) is None:
        return _sign_in_first(page, public_name)
    assert user is not None
    order = RoomOrder(sku=sku, deal_id=deal, offer_id=offer)
    try:
        return await _drawer(page, databases, public_name, user, order)
    except DomainError as exc:
        return page.render(
            "live_commerce/drawer_closed.html", status_code=exc.status_code, error=exc.message
        )


@viewer_router.post("/buy", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def buy(
    request: Request,
    public_name: str,
    page: PageDep,
    user: OptionalUser,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    sku: Annotated[str, Form(max_length=64)],
    card_number: Annotated[str, Form(max_length=30)],
    idempotency_key: Annotated[str, Form(max_length=100)],
    quantity: Annotated[int, Form()] = 1,
    deal: Annotated[int | None, Form()] = None,
    offer: Annotated[int | None, Form()] = None,
) -> HTMLResponse:
    shopper = _shopper_of(user)
    if shopper is None:
        return _sign_in_first(page, public_name)
    form = {k: str(v) for k, v in (await request.form()).items()}
    order = RoomOrder(sku=sku, quantity=quantity, deal_id=deal, offer_id=offer)
    try:
        attempt = attempt_from_form(
            form,
            key=idempotency_key,
            shopper_id=shopper.user_id,
            market=page.market,
            settings=settings,
        )
        result, item = await commerce.buy(
            databases,
            gateway,
            public_name=public_name,
            attempt=attempt,
            order=order,
            card_number=card_number,
        )
    except DomainError as exc:
        return await _drawer(
            page,
            databases,
            public_name,
            shopper,
            order,
            status_code=exc.status_code,
            error=exc.message,
            form=form,
        )
    if not result.paid:
        return await _drawer(
            page,
            databases,
            public_name,
            shopper,
            order,
            status_code=402,
            error=result.checkout.failure_reason,
            form=form,
        )
    if not result.replayed:
        await selling.announce_purchase(_hub(request), databases, public_name, shopper, item, order)
        await remember_address(databases, settings.cell_of_market(page.market.code), attempt)
    return page.render("live_commerce/bought.html", orders=result.orders, item=item)
