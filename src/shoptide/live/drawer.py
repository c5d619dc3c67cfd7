"""The room's checkout drawer: what a viewer asks to buy (a product, a deal, or their
bargained price), priced and checked in the room. Functions take sessions and never
commit; live.selling pays for it."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.checkout import service as checkout_service
from shoptide.checkout.service import OpenHook
from shoptide.errors import InvalidInput, InvalidTransition, NotAllowed
from shoptide.inventory import service as inventory_service
from shoptide.live.commerce import room_sellable
from shoptide.live.deals import claim_deal, deal_pool, get_deal
from shoptide.live.models import LiveRoom
from shoptide.live.offers import agreed_price, claim_offer, get_offer
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders.service import OrderSource


@dataclass(frozen=True)
class RoomOrder:
    """What a viewer asks for in the drawer: a product, a deal, or a bargained price."""

    sku: str
    quantity: int = 1
    deal_id: int | None = None
    offer_id: int | None = None


@dataclass(frozen=True)
class DrawerItem:
    """The line the drawer shows and buys."""

    purchase: checkout_service.Purchase
    hook: OpenHook | None
    what: str  # "deal" | "offer" | "shelf"


async def drawer_item(
    cell: AsyncSession,
    global_: AsyncSession,
    room: LiveRoom,
    *,
    shopper_id: int,
    market: Market,
    order: RoomOrder,
) -> DrawerItem:
    """Price and stock pool of what the viewer asks for; refuses what they may not buy."""
    if room.market_code != market.code:
        raise NotAllowed("This live room sells in another market.")
    if room.status != "live":
        raise InvalidTransition("This live room is not live right now.")
    sellable = await room_sellable(cell, global_, room, order.sku)
    source = OrderSource("live", room.id, room.host_user_id)
    price, pool, hook, what = sellable.price, inventory_service.SHELF, None, "shelf"
    if order.deal_id is not None:
        deal = await get_deal(cell, room, order.deal_id)
        if deal.variant_id != sellable.variant_id:
            raise InvalidInput("That flash deal is for another product.")
        price, pool = Money(deal.price_minor, deal.currency), deal_pool(deal.id)
        hook, what = claim_deal(deal.id, shopper_id, order.quantity), "deal"
    elif order.offer_id is not None:
        offer = await get_offer(cell, room, order.offer_id)
        if offer.shopper_id != shopper_id or offer.variant_id != sellable.variant_id:
            raise NotAllowed("This bargained price is not yours to use.")
        if order.quantity != 1:
            raise InvalidInput("A bargained price is for one unit.")
        price, hook, what = agreed_price(offer), claim_offer(offer.id, shopper_id), "offer"
    purchase = await checkout_service.purchase(
        global_,
        market=market,
        sku=order.sku,
        quantity=order.quantity,
        unit_price=price,
        source=source,
        pool=pool,
    )
    return DrawerItem(purchase, hook, what)
