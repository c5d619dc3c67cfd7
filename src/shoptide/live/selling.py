"""The room's selling actions as the pages and the API both run them: each is one unit of
work in the room's cell (host or viewer checked inside it), then a message to the room
through the hub, sent only after the commit."""

from typing import Any, Protocol

from shoptide.accounts.service import Principal
from shoptide.db import Databases
from shoptide.errors import NotAllowed
from shoptide.live import commerce, rooms
from shoptide.live.commerce import DealView
from shoptide.live.models import Offer


class Publisher(Protocol):
    """Where room messages go (the live hub)."""

    async def publish(self, room: str, message: dict[str, Any]) -> None: ...


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
    async with rooms.in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        view = await commerce.start_deal(
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
    async with rooms.in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        deal = await commerce.get_deal(scope.cell, scope.room, deal_id)
        returned = await commerce.end_deal(scope.cell, deal)
    await hub.publish(public_name, {"type": "deal_ended", "id": deal_id})
    return returned


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
    async with rooms.in_room(databases, public_name, write=True) as scope:
        rooms.ensure_host(scope.room, shop_id=shop_id)
        offer = await commerce.get_offer(scope.cell, scope.room, offer_id)
        await commerce.answer_offer(scope.cell, offer, action=action, counter_price=counter_price)
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "offer", "to_shopper": offer.shopper_id})
    return offer, locale


def _shopper(user: Principal) -> Principal:
    if user.role != "shopper":
        raise NotAllowed("Sign in with a shopper account to buy or bargain.")
    return user


async def make_offer(
    databases: Databases, hub: Publisher, public_name: str, *, user: Principal, sku: str, price: str
) -> tuple[Offer, str]:
    """A viewer of the room's market offers a price for the pinned product."""
    shopper = _shopper(user)
    async with rooms.in_room(databases, public_name, write=True) as scope:
        if scope.room.market_code != shopper.market_code:
            raise NotAllowed("This live room sells in another market.")
        offer = await commerce.make_offer(
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
    async with rooms.in_room(databases, public_name, write=True) as scope:
        offer = await commerce.get_offer(scope.cell, scope.room, offer_id)
        await commerce.answer_counter(scope.cell, offer, shopper_id=user.user_id, take=take)
        locale = scope.market.locale
    await hub.publish(public_name, {"type": "offer", "to_hosts": True})
    return offer, locale


def _first_name(user: Principal) -> str:
    return (user.display_name.split() or ["Someone"])[0]


async def announce_purchase(
    hub: Publisher,
    databases: Databases,
    public_name: str,
    shopper: Principal,
    item: commerce.DrawerItem,
    order: commerce.RoomOrder,
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
        async with rooms.in_room(databases, public_name) as scope:
            left = await commerce.deal_remaining(scope.cell, scope.room, order.deal_id)
        stock = {"type": "deal_stock", "id": order.deal_id, "remaining": left}
        await hub.publish(public_name, stock)
