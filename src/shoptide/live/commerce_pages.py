"""The selling parts of a live room as htmx fragments: the host's deal console and offer
inbox, the viewer's offer panel and checkout drawer.

Each write is one flow of live.selling, announced to the room only after it committed.
Fragments answer a mistake with a 4xx and the fragment again, with the message
(live_commerce.js lets htmx swap those in). The viewer's panel and drawer answer a
visitor too (a sign-in prompt); everything else needs a signed-in user.
"""

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from shoptide.accounts.service import Principal
from shoptide.checkout.schemas import attempt_from_form
from shoptide.db import Databases
from shoptide.deps import (
    CsrfChecked,
    CurrentUser,
    DatabasesDep,
    GatewayDep,
    OptionalUser,
    SettingsDep,
)
from shoptide.errors import DomainError
from shoptide.ids import INT4_MAX, Id
from shoptide.live import selling
from shoptide.live.deps import HostRequest, HubDep, host_request
from shoptide.live.drawer import RoomOrder
from shoptide.payments.gateway import TEST_CARDS
from shoptide.web.forms import refresh
from shoptide.web.rendering import Page, PageDep

public_router = APIRouter(prefix="/live/{public_name}")  # the viewer's panel and drawer
router = APIRouter()  # the host's console fragments, and a viewer's offers

HOST = "/seller/live/{public_name}"
VIEWER = "/live/{public_name}"
DEAL_LENGTHS = (30, 60, 120, 300, 600, 1800)  # seconds offered on the deal form


# --- host: flash deals and offers -----------------------------------------------------------


@dataclass
class SellingConsole(HostRequest):
    """The host's deal console and offer inbox in their room. `checked` reads them for the
    room's host only (an action checks the host itself, before answering with them)."""

    def _shop(self, checked: bool) -> int | None:
        return self.shop_id if checked else None

    def _render(
        self, template: str, shown: selling.DealConsole | selling.OfferInbox, **context: Any
    ) -> HTMLResponse:
        return self.page.render(template, room=shown.room, room_market=shown.market, **context)

    async def deals(self, *, checked: bool = False, **extra: Any) -> HTMLResponse:
        shown = await selling.deal_console(
            self.databases, self.public_name, shop_id=self._shop(checked)
        )
        context = {"variants": shown.variants, "deals": shown.deals, "deal_lengths": DEAL_LENGTHS}
        return self._render("live_commerce/deal_console.html", shown, **context, **extra)

    async def offers(self, *, checked: bool = False, **extra: Any) -> HTMLResponse:
        shown = await selling.offer_inbox(
            self.databases, self.public_name, shop_id=self._shop(checked)
        )
        return self._render("live_commerce/offer_inbox.html", shown, rows=shown.rows, **extra)


ConsoleDep = Annotated[SellingConsole, Depends(host_request(SellingConsole))]


@router.get(HOST + "/deals", response_class=HTMLResponse)
async def deal_console(console: ConsoleDep) -> HTMLResponse:
    return await console.deals(checked=True)


@router.post(HOST + "/deals", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def start_deal(
    console: ConsoleDep,
    hub: HubDep,
    sku: Annotated[str, Form(max_length=64)],
    price: Annotated[str, Form(max_length=20)],
    quantity: Annotated[int, Form(le=INT4_MAX)],
    seconds: Annotated[int, Form(le=INT4_MAX)],
    per_viewer: Annotated[int, Form(le=INT4_MAX)] = 0,
) -> HTMLResponse:
    typed = {"sku": sku, "price": price, "quantity": quantity, "seconds": seconds}
    return await refresh(
        lambda: selling.start_deal(
            console.databases,
            hub,
            console.public_name,
            shop_id=console.shop_id,
            sku=sku,
            price=price,
            quantity=quantity,
            seconds=seconds,
            per_viewer=per_viewer,
        ),
        console.deals,
        form={**typed, "per_viewer": per_viewer},
    )


@router.post(HOST + "/deals/{deal_id}/end", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def end_deal(console: ConsoleDep, hub: HubDep, deal_id: Id) -> HTMLResponse:
    await selling.end_deal(
        console.databases, hub, console.public_name, shop_id=console.shop_id, deal_id=deal_id
    )
    return await console.deals()


@router.get(HOST + "/offers", response_class=HTMLResponse)
async def offer_inbox(console: ConsoleDep) -> HTMLResponse:
    return await console.offers(checked=True)


@router.post(HOST + "/offers/{offer_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def answer_offer(
    console: ConsoleDep,
    hub: HubDep,
    offer_id: Id,
    action: Annotated[str, Form(max_length=10)],
    counter_price: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    return await refresh(
        lambda: selling.answer_offer(
            console.databases,
            hub,
            console.public_name,
            shop_id=console.shop_id,
            offer_id=offer_id,
            action=action,
            counter_price=counter_price,
        ),
        console.offers,
    )


# --- viewer: offers -----------------------------------------------------------------------


def _shopper_of(user: Principal | None) -> Principal | None:
    return user if user is not None and user.role == "shopper" else None


async def _offer_panel(
    page: Page, databases: Databases, public_name: str, user: Principal | None, **extra: Any
) -> HTMLResponse:
    shopper = _shopper_of(user)
    shopper_id = shopper.user_id if shopper else None
    shown = await selling.offer_panel(databases, public_name, shopper_id=shopper_id)
    return page.render(
        "live_commerce/offer_panel.html",
        room=shown.room,
        room_market=shown.market,
        shopper=shopper,
        latest=shown.latest,
        variants=shown.variants,
        **extra,
    )


@public_router.get("/offer-panel", response_class=HTMLResponse)
async def offer_panel(
    public_name: str, page: PageDep, user: OptionalUser, databases: DatabasesDep
) -> HTMLResponse:
    return await _offer_panel(page, databases, public_name, user)


@router.post(VIEWER + "/offers", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def make_offer(
    public_name: str,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    hub: HubDep,
    sku: Annotated[str, Form(max_length=64)],
    price: Annotated[str, Form(max_length=20)],
) -> HTMLResponse:
    return await refresh(
        lambda: selling.make_offer(databases, hub, public_name, user=user, sku=sku, price=price),
        partial(_offer_panel, page, databases, public_name, user),
    )


@router.post(
    VIEWER + "/offers/{offer_id}/counter",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
async def answer_counter(
    public_name: str,
    offer_id: Id,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    hub: HubDep,
    take: Annotated[bool, Form()],
) -> HTMLResponse:
    return await refresh(
        lambda: selling.answer_counter(
            databases, hub, public_name, user=user, offer_id=offer_id, take=take
        ),
        partial(_offer_panel, page, databases, public_name, user),
    )


# --- viewer: the checkout drawer ----------------------------------------------------------


async def _drawer(
    page: Page,
    databases: Databases,
    public_name: str,
    user: Principal,
    order: RoomOrder,
    **extra: Any,
) -> HTMLResponse:
    shown = await selling.drawer(
        databases, public_name, shopper_id=user.user_id, market=page.market, order=order
    )
    return page.render(
        "live_commerce/drawer.html",
        room=shown.room,
        item=shown.item,
        order=order,
        addresses=shown.addresses,
        test_cards=TEST_CARDS,
        idempotency_key=uuid.uuid4().hex,
        **extra,
    )


def _sign_in_first(page: Page, public_name: str) -> HTMLResponse:
    return page.render("live_commerce/sign_in_first.html", status_code=401, public_name=public_name)


@public_router.get("/drawer", response_class=HTMLResponse)
async def drawer(
    public_name: str,
    page: PageDep,
    user: OptionalUser,
    databases: DatabasesDep,
    sku: Annotated[str, Query(max_length=64)],
    deal: Id | None = None,
    offer: Id | None = None,
) -> HTMLResponse:
    shopper = _shopper_of(user)
    if shopper is None:
        return _sign_in_first(page, public_name)
    order = RoomOrder(sku=sku, deal_id=deal, offer_id=offer)
    try:
        return await _drawer(page, databases, public_name, shopper, order)
    except DomainError as exc:
        return page.render(
            "live_commerce/drawer_closed.html", status_code=exc.status_code, error=exc.message
        )


@public_router.post("/buy", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def buy(
    request: Request,
    public_name: str,
    page: PageDep,
    user: OptionalUser,
    databases: DatabasesDep,
    gateway: GatewayDep,
    hub: HubDep,
    settings: SettingsDep,
    sku: Annotated[str, Form(max_length=64)],
    card_number: Annotated[str, Form(max_length=30)],
    idempotency_key: Annotated[str, Form(max_length=100)],
    quantity: Annotated[int, Form(le=INT4_MAX)] = 1,
    deal: Annotated[Id | None, Form()] = None,
    offer: Annotated[Id | None, Form()] = None,
) -> HTMLResponse:
    """A visitor is asked to sign in; a shopper pays for the drawer's line."""
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
        result, item = await selling.buy(
            databases,
            gateway,
            hub,
            public_name=public_name,
            buyer=shopper,
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
        reason = result.checkout.failure_reason
        return await _drawer(
            page, databases, public_name, shopper, order, status_code=402, error=reason, form=form
        )
    return page.render("live_commerce/bought.html", orders=result.orders, item=item)
