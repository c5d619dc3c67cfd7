"""Selling in a live room, the use cases that own their units of work, as the pages and
the API both run them: the host's deals and offer inbox, the viewer's offers and checkout
drawer, paying for the drawer's line, and the sweep that ends deals.

Each write is one unit of work in the room's cell (host or viewer checked inside it), then
a message to the room through the hub, sent only after the commit.
"""

from dataclasses import dataclass
from datetime import datetime

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import Address
from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout import flows as checkout_flows
from shoptide.checkout.service import Attempt, CheckoutResult
from shoptide.db import Databases, utcnow
from shoptide.errors import NotAllowed
from shoptide.live import commerce, deals, offers, rooms
from shoptide.live.deals import DealView
from shoptide.live.drawer import DrawerItem, RoomOrder, drawer_item
from shoptide.live.flows import Publisher, in_room
from shoptide.live.models import LiveRoom, Offer
from shoptide.live.offers import OfferRow
from shoptide.markets.models import Market
from shoptide.payments.gateway import PaymentGateway
from shoptide.settings import GLOBAL_CELL

# --- the host: flash deals --------------------------------------------------------------------


async def start_deal(
    databases: Databases,
    hub: Publisher,
    public_name: str,
    *,
    shop_id: int,
    sku: str,
    price: str,
    quantity: int,
    seconds: int,
    per_viewer: int = 0,
) -> tuple[DealView, str]:
    """The host starts a flash deal; returns it with the room market's locale."""
    async with in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        view = await deals.start_deal(
            scope.cell,
            scope.global_,
            scope.room,
            sku=sku,
            price=price,
            quantity=quantity,
            seconds=seconds,
            per_viewer=per_viewer,
        )
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "deal", "deal": view.message(locale)})
    return view, locale


async def end_deal(
    databases: Databases, hub: Publisher, public_name: str, *, shop_id: int, deal_id: int
) -> int:
    """The host ends a deal now; returns the units put back on the shelf."""
    async with in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        deal = await deals.get_deal(scope.cell, scope.room, deal_id)
        returned = await deals.end_deal(scope.cell, deal)
    await hub.publish(public_name, {"type": "deal_ended", "id": deal_id})
    return returned


async def end_due_deals(databases: Databases, cell: str, *, now: datetime | None = None) -> int:
    """End deals whose time is up, and every deal of an ended room; returns how many."""
    async with databases.session(cell) as session:
        return await deals.end_due(session, now=now or utcnow())


@dataclass(frozen=True)
class DealConsole:
    """The host's deal console: what the room sells, and the deals running."""

    room: LiveRoom
    market: Market
    variants: list[Sellable]
    deals: list[DealView]


async def deal_console(
    databases: Databases, public_name: str, *, shop_id: int | None = None
) -> DealConsole:
    """The deal console of the room (its host's only, when `shop_id` is given)."""
    async with in_room(databases, public_name) as scope:
        if shop_id is not None:
            rooms.ensure_host(scope.room, shop_id=shop_id)
        product_ids = [p.product_id for p in scope.room.products]
        return DealConsole(
            room=scope.room,
            market=scope.market,
            variants=await catalog_service.sellables_of_products(
                scope.global_, product_ids, market=scope.room.market_code
            ),
            deals=await deals.active_deals(scope.cell, scope.global_, scope.room),
        )


# --- the host: offers -------------------------------------------------------------------------


async def answer_offer(
    databases: Databases,
    hub: Publisher,
    public_name: str,
    *,
    shop_id: int,
    offer_id: int,
    action: str,
    counter_price: str = "",
) -> tuple[Offer, str]:
    """The host accepts, rejects or counters; the viewer's own socket hears of it."""
    async with in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        offer = await offers.get_offer(scope.cell, scope.room, offer_id)
        await offers.answer_offer(scope.cell, offer, action=action, counter_price=counter_price)
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "offer", "to_shopper": offer.shopper_id})
    return offer, locale


@dataclass(frozen=True)
class OfferInbox:
    room: LiveRoom
    market: Market
    rows: list[OfferRow]  # offers waiting for the host's answer, oldest first


async def offer_inbox(
    databases: Databases, public_name: str, *, shop_id: int | None = None
) -> OfferInbox:
    """The offers waiting in the room (its host's only, when `shop_id` is given)."""
    async with in_room(databases, public_name) as scope:
        if shop_id is not None:
            rooms.ensure_host(scope.room, shop_id=shop_id)
        waiting = await offers.offers_waiting(scope.cell, scope.room)
        return OfferInbox(scope.room, scope.market, await offers.offer_rows(scope, waiting))


# --- the viewer: offers -----------------------------------------------------------------------


def _shopper(user: Principal) -> Principal:
    if user.role != "shopper":
        raise NotAllowed("Sign in with a shopper account to buy or bargain.")
    return user


async def make_offer(
    databases: Databases, hub: Publisher, public_name: str, *, user: Principal, sku: str, price: str
) -> tuple[Offer, str]:
    """A viewer of the room's market offers a price for the pinned product."""
    shopper = _shopper(user)
    async with in_room(databases, public_name, write=True) as scope:
        if scope.room.market_code != shopper.market_code:
            raise NotAllowed("This live room sells in another market.")
        offer = await offers.make_offer(
            scope.cell,
            scope.global_,
            scope.room,
            shopper_id=shopper.user_id,
            sku=sku,
            price=price,
        )
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "offer", "to_hosts": True})
    return offer, locale


async def answer_counter(
    databases: Databases,
    hub: Publisher,
    public_name: str,
    *,
    user: Principal,
    offer_id: int,
    take: bool,
) -> tuple[Offer, str]:
    """The viewer takes or declines the host's counter-offer."""
    async with in_room(databases, public_name, write=True) as scope:
        offer = await offers.get_offer(scope.cell, scope.room, offer_id)
        await offers.answer_counter(scope.cell, offer, shopper_id=user.user_id, take=take)
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "offer", "to_hosts": True})
    return offer, locale


@dataclass(frozen=True)
class OfferPanel:
    """The viewer's bargaining panel: the pinned product's variants, their latest offer."""

    room: LiveRoom
    market: Market
    latest: OfferRow | None
    variants: list[Sellable]


async def offer_panel(
    databases: Databases, public_name: str, *, shopper_id: int | None
) -> OfferPanel:
    async with in_room(databases, public_name) as scope:
        pinned = await commerce.pinned_product(scope.cell, scope.room)
        latest = (
            await offers.latest_offer(scope.cell, scope.room, shopper_id=shopper_id)
            if shopper_id is not None
            else None
        )
        return OfferPanel(
            room=scope.room,
            market=scope.market,
            latest=(await offers.offer_rows(scope, [latest]))[0] if latest else None,
            variants=await catalog_service.sellables_of_products(
                scope.global_, [pinned], market=scope.room.market_code
            )
            if pinned
            else [],
        )


# --- the viewer: the checkout drawer ----------------------------------------------------------


@dataclass(frozen=True)
class Drawer:
    room: LiveRoom
    item: DrawerItem
    addresses: list[Address]


async def drawer(
    databases: Databases, public_name: str, *, shopper_id: int, market: Market, order: RoomOrder
) -> Drawer:
    """The line the viewer asks for, priced in the room, and their saved addresses."""
    async with in_room(databases, public_name) as scope:
        item = await drawer_item(
            scope.cell,
            scope.global_,
            scope.room,
            shopper_id=shopper_id,
            market=market,
            order=order,
        )
        addresses = await accounts_service.list_addresses(scope.cell, user_id=shopper_id)
        return Drawer(scope.room, item, list(addresses))


async def buy(
    databases: Databases,
    gateway: PaymentGateway,
    hub: Publisher,
    *,
    public_name: str,
    buyer: Principal,
    attempt: Attempt,
    order: RoomOrder,
    card_number: str,
) -> tuple[CheckoutResult, DrawerItem]:
    """Pay for one line from the room, without the cart; the room is the order's source.
    A new purchase (not a replay of its idempotency key) is announced to the room."""
    cell = databases.settings.cell_of_market(rooms.market_of(public_name))
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()  # global before cell (deps.py)
        async with databases.session(cell, write=False) as session:
            room = await rooms.get(session, public_name)
            item = await drawer_item(
                session,
                global_,
                room,
                shopper_id=attempt.shopper_id,
                market=attempt.market,
                order=order,
            )
    result = await checkout_flows.buy_now(
        databases,
        gateway,
        attempt=attempt,
        purchases=[item.purchase],
        card_number=card_number,
        on_open=item.hook,
    )
    if result.paid and not result.replayed:
        await announce_purchase(hub, databases, public_name, buyer, item, order)
    return result, item


def _first_name(user: Principal) -> str:
    return (user.display_name.split() or ["Someone"])[0]


async def announce_purchase(
    hub: Publisher,
    databases: Databases,
    public_name: str,
    shopper: Principal,
    item: DrawerItem,
    order: RoomOrder,
) -> None:
    """The purchase ticker, and the deal's units left."""
    sellable = item.purchase.sellable
    await hub.publish(
        public_name,
        {
            "type": "purchase",
            "buyer": _first_name(shopper),
            "title": sellable.title,
            "quantity": item.purchase.quantity,
        },
    )
    if order.deal_id is not None:
        async with in_room(databases, public_name) as scope:
            left = await deals.deal_remaining(scope.cell, scope.room, order.deal_id)
        stock = {"type": "deal_stock", "id": order.deal_id, "remaining": left}
        await hub.publish(public_name, stock)
