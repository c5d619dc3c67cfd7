"""Selling in a live room: flash deals, bargaining, and buying from the room's drawer.

A flash deal's units move from the shelf into a stock pool of their own when it starts
(inventory), so viewers can never buy more than the deal holds, whatever the number of
app processes; unsold units go back to the shelf when it ends. An accepted offer is a
personal price its shopper may use once, within OFFER_VALID_FOR, claimed in the same
transaction as the checkout that uses it and given back if that checkout fails.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout import service as checkout_service
from shoptide.checkout.models import Checkout
from shoptide.checkout.service import Attempt, CheckoutResult, OpenHook
from shoptide.db import Databases, rows_updated, upsert, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound
from shoptide.events import CheckoutFailed, Delivery, HandlerRegistry, LiveRoomEnded
from shoptide.inventory import service as inventory_service
from shoptide.live import rooms
from shoptide.live.models import (
    DealBuyer,
    DealClaim,
    FlashDeal,
    LiveRoom,
    Offer,
    RoomPin,
    RoomProduct,
)
from shoptide.markets.models import Market
from shoptide.money import Money
from shoptide.orders.service import OrderSource
from shoptide.payments.gateway import PaymentGateway
from shoptide.settings import GLOBAL_CELL

OFFER_VALID_FOR = timedelta(minutes=10)
DEAL_SECONDS = (10, 3600)
MAX_DEAL_UNITS = 10_000


def deal_pool(deal_id: int) -> str:
    return f"deal:{deal_id}"


def parse_price(text: str, currency: str) -> Money:
    """A price typed by a person ("12.50"), in the room's currency; more than zero."""
    try:
        price = Money.from_decimal(text.strip().replace(",", "."), currency)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{text!r} is not a price in {currency}.") from None
    if price.amount <= 0:
        raise InvalidInput("The price must be more than zero.")
    return price


def _ensure_live(room: LiveRoom) -> None:
    if room.status != "live":
        raise InvalidTransition("This live room is not live right now.")


async def _room_sellable(
    cell: AsyncSession, global_: AsyncSession, room: LiveRoom, sku: str
) -> Sellable:
    """A variant of a product the room sells, with its shelf price in the room's market."""
    variant = await catalog_service.variant_by_sku(global_, sku)
    in_room = await cell.scalar(
        select(RoomProduct.id).where(
            RoomProduct.room_id == room.id, RoomProduct.product_id == variant.product_id
        )
    )
    sellable = (
        await catalog_service.sellables(global_, [variant.id], market=room.market_code)
    ).get(variant.id)
    if in_room is None or sellable is None:
        raise NotFound(f"SKU {sku!r} is not sold in this live room.")
    return sellable


# --- flash deals --------------------------------------------------------------------------


@dataclass(frozen=True)
class DealView:
    """A deal as viewers see it."""

    deal: FlashDeal
    sellable: Sellable
    remaining: int

    @property
    def price(self) -> Money:
        return Money(self.deal.price_minor, self.deal.currency)

    def message(self, locale: str) -> dict[str, Any]:
        return {
            "id": self.deal.id,
            "sku": self.sellable.sku,
            "title": self.sellable.title,
            "variant": self.sellable.variant_label,
            "image": self.sellable.image,
            "price": self.price.format(locale),
            "list_price": self.sellable.price.format(locale),
            "quantity": self.deal.quantity,
            "per_viewer": self.deal.per_viewer_limit,
            "remaining": self.remaining,
            "ends_at": self.deal.ends_at.isoformat(),
        }


async def start_deal(
    cell: AsyncSession,
    global_: AsyncSession,
    room: LiveRoom,
    *,
    sku: str,
    price: str,
    quantity: int,
    seconds: int,
    per_viewer: int = 0,
) -> DealView:
    """Set `quantity` units aside at a live-only price for `seconds`, at most `per_viewer`
    of them for one viewer (0: no limit); raises OutOfStock."""
    _ensure_live(room)
    sellable = await _room_sellable(cell, global_, room, sku)
    deal_price = parse_price(price, sellable.price.currency)
    if deal_price.amount >= sellable.price.amount:
        raise InvalidInput("A flash deal's price must be below the shelf price.")
    if not 1 <= quantity <= MAX_DEAL_UNITS:
        raise InvalidInput(f"A flash deal sells 1 to {MAX_DEAL_UNITS} units.")
    if not DEAL_SECONDS[0] <= seconds <= DEAL_SECONDS[1]:
        raise InvalidInput("A flash deal runs from 10 seconds to 60 minutes.")
    if not 0 <= per_viewer <= quantity:
        raise InvalidInput("The limit per viewer is between 0 (none) and the deal's units.")
    if await _active_deal_of_variant(cell, room, sellable.variant_id) is not None:
        raise Conflict(f"{sellable.title} already has a flash deal running.")
    deal = FlashDeal(
        room_id=room.id,
        product_id=sellable.product_id,
        variant_id=sellable.variant_id,
        price_minor=deal_price.amount,
        currency=deal_price.currency,
        quantity=quantity,
        ends_at=utcnow() + timedelta(seconds=seconds),
        per_viewer_limit=per_viewer,
    )
    cell.add(deal)
    await cell.flush()
    await inventory_service.open_pool(
        cell,
        variant_id=sellable.variant_id,
        market=room.market_code,
        pool=deal_pool(deal.id),
        quantity=quantity,
        label=f"{sellable.title} ({sellable.variant_label})",
    )
    return DealView(deal, sellable, quantity)


async def _active_deal_of_variant(
    cell: AsyncSession, room: LiveRoom, variant_id: int
) -> FlashDeal | None:
    return await cell.scalar(
        select(FlashDeal).where(
            FlashDeal.room_id == room.id,
            FlashDeal.variant_id == variant_id,
            FlashDeal.status == "active",
        )
    )


async def end_deal(cell: AsyncSession, deal: FlashDeal) -> int:
    """Close the deal; its unsold units go back to the shelf. Returns how many."""
    moved = await rows_updated(
        cell,
        update(FlashDeal)
        .where(FlashDeal.id == deal.id, FlashDeal.status == "active")
        .values(status="ended"),
    )
    if not moved:
        return 0
    market = (await cell.get_one(LiveRoom, deal.room_id)).market_code
    return await inventory_service.close_pool(cell, market=market, pool=deal_pool(deal.id))


async def get_deal(cell: AsyncSession, room: LiveRoom, deal_id: int) -> FlashDeal:
    deal = await cell.get(FlashDeal, deal_id)
    if deal is None or deal.room_id != room.id:
        raise NotFound("There is no such flash deal in this room.")
    return deal


async def active_deals(cell: AsyncSession, global_: AsyncSession, room: LiveRoom) -> list[DealView]:
    deals = (
        await cell.scalars(
            select(FlashDeal)
            .where(
                FlashDeal.room_id == room.id,
                FlashDeal.status == "active",
                FlashDeal.ends_at > utcnow(),
            )
            .order_by(FlashDeal.id)
        )
    ).all()
    sellables = await catalog_service.sellables(
        global_, [d.variant_id for d in deals], market=room.market_code
    )
    left = await inventory_service.pool_levels(
        cell, market=room.market_code, pools=[deal_pool(d.id) for d in deals]
    )
    return [
        DealView(d, sellables[d.variant_id], left[deal_pool(d.id)])
        for d in deals
        if d.variant_id in sellables
    ]


async def deal_remaining(cell: AsyncSession, room: LiveRoom, deal_id: int) -> int:
    pool = deal_pool(deal_id)
    return (await inventory_service.pool_levels(cell, market=room.market_code, pools=[pool]))[pool]


async def end_due_deals(databases: Databases, cell: str, *, now: datetime | None = None) -> int:
    """End deals whose time is up, and every deal of an ended room; returns how many."""
    async with databases.session(cell) as session:
        due = (
            await session.scalars(
                select(FlashDeal)
                .join(LiveRoom, LiveRoom.id == FlashDeal.room_id)
                .where(FlashDeal.status == "active")
                .where((FlashDeal.ends_at <= (now or utcnow())) | (LiveRoom.status == "ended"))
            )
        ).all()
        for deal in due:
            await end_deal(session, deal)
        return len(due)


# --- bargaining ---------------------------------------------------------------------------


async def pinned_product(cell: AsyncSession, room: LiveRoom) -> int | None:
    return await cell.scalar(
        select(RoomPin.product_id).where(RoomPin.room_id == room.id, RoomPin.unpinned_at.is_(None))
    )


async def make_offer(
    cell: AsyncSession,
    global_: AsyncSession,
    room: LiveRoom,
    *,
    shopper_id: int,
    sku: str,
    price: str,
) -> Offer:
    """A viewer offers a price for (a variant of) the pinned product."""
    _ensure_live(room)
    sellable = await _room_sellable(cell, global_, room, sku)
    if await pinned_product(cell, room) != sellable.product_id:
        raise InvalidInput("You can bargain for the pinned product only.")
    offered = parse_price(price, sellable.price.currency)
    if offered.amount >= sellable.price.amount:
        raise InvalidInput("Offer less than the shelf price, or just buy it.")
    if await cell.scalar(
        select(Offer.id).where(
            Offer.room_id == room.id,
            Offer.shopper_id == shopper_id,
            Offer.status.in_(("pending", "countered")),
        )
    ):
        raise Conflict("Wait for the host to answer your last offer first.")
    offer = Offer(
        room_id=room.id,
        shopper_id=shopper_id,
        product_id=sellable.product_id,
        variant_id=sellable.variant_id,
        currency=sellable.price.currency,
        list_price_minor=sellable.price.amount,
        offered_minor=offered.amount,
    )
    cell.add(offer)
    await cell.flush()
    return offer


async def get_offer(cell: AsyncSession, room: LiveRoom, offer_id: int) -> Offer:
    offer = await cell.get(Offer, offer_id)
    if offer is None or offer.room_id != room.id:
        raise NotFound("There is no such offer in this room.")
    return offer


def agreed_price(offer: Offer) -> Money:
    return Money(offer.counter_minor or offer.offered_minor, offer.currency)


def _accept(offer: Offer) -> None:
    offer.status = "accepted"
    offer.decided_at = utcnow()
    offer.valid_until = offer.decided_at + OFFER_VALID_FOR


async def answer_offer(
    cell: AsyncSession, offer: Offer, *, action: str, counter_price: str = ""
) -> Offer:
    """The host accepts, rejects or counters a pending offer."""
    if offer.status != "pending":
        raise InvalidTransition("This offer has already been answered.")
    if action == "accept":
        _accept(offer)
    elif action == "reject":
        offer.status, offer.decided_at = "rejected", utcnow()
    elif action == "counter":
        counter = parse_price(counter_price, offer.currency)
        if not offer.offered_minor < counter.amount < offer.list_price_minor:
            raise InvalidInput("A counter-offer lies between the offer and the shelf price.")
        offer.status, offer.counter_minor, offer.decided_at = "countered", counter.amount, utcnow()
    else:
        raise InvalidInput("Answer an offer with accept, reject or counter.")
    await cell.flush()
    return offer


async def answer_counter(cell: AsyncSession, offer: Offer, *, shopper_id: int, take: bool) -> Offer:
    """The viewer takes or declines the host's counter-offer."""
    if offer.shopper_id != shopper_id:
        raise NotAllowed("This is another viewer's offer.")
    if offer.status != "countered":
        raise InvalidTransition("There is no counter-offer to answer.")
    if take:
        _accept(offer)
    else:
        offer.status = "rejected"
    await cell.flush()
    return offer


async def offers_waiting(cell: AsyncSession, room: LiveRoom) -> list[Offer]:
    return list(
        await cell.scalars(
            select(Offer)
            .where(Offer.room_id == room.id, Offer.status == "pending")
            .order_by(Offer.id)
        )
    )


async def latest_offer(cell: AsyncSession, room: LiveRoom, *, shopper_id: int) -> Offer | None:
    return await cell.scalar(
        select(Offer)
        .where(Offer.room_id == room.id, Offer.shopper_id == shopper_id)
        .order_by(Offer.id.desc())
        .limit(1)
    )


def offer_usable(offer: Offer) -> bool:
    return offer.status == "accepted" and bool(offer.valid_until and offer.valid_until > utcnow())


def _claim_offer(offer_id: int, shopper_id: int) -> OpenHook:
    async def claim(session: AsyncSession, checkout: Checkout) -> None:
        if not await rows_updated(
            session,
            update(Offer)
            .where(
                Offer.id == offer_id,
                Offer.shopper_id == shopper_id,
                Offer.status == "accepted",
                Offer.valid_until > utcnow(),
            )
            .values(status="used", checkout_id=checkout.id),
        ):
            raise Conflict("This bargained price has expired or was already used.")

    return claim


async def _count_units(session: AsyncSession, deal: FlashDeal, shopper_id: int, units: int) -> None:
    """Raise the viewer's count of the deal's units, or refuse past its limit. One
    conditional upsert, so two checkouts of one viewer can't pass the limit together."""
    limit = deal.per_viewer_limit
    refusal = Conflict(f"This flash deal sells at most {limit} per viewer.")
    if units > limit:
        raise refusal
    counted = await rows_updated(
        session,
        upsert(session, DealBuyer)
        .values(deal_id=deal.id, shopper_id=shopper_id, units=units)
        .on_conflict_do_update(
            index_elements=["deal_id", "shopper_id"],
            set_={"units": DealBuyer.units + units},
            where=DealBuyer.units + units <= limit,
        ),
    )
    if not counted:
        raise refusal


def _claim_deal(deal_id: int, shopper_id: int, units: int) -> OpenHook:
    async def claim(session: AsyncSession, checkout: Checkout) -> None:
        deal = await session.scalar(
            select(FlashDeal).where(
                FlashDeal.id == deal_id, FlashDeal.status == "active", FlashDeal.ends_at > utcnow()
            )
        )
        if deal is None:
            raise Conflict("This flash deal has ended.")
        if deal.per_viewer_limit:
            await _count_units(session, deal, shopper_id, units)
            session.add(
                DealClaim(
                    checkout_id=checkout.id, deal_id=deal.id, shopper_id=shopper_id, units=units
                )
            )

    return claim


async def give_back_claims(session: AsyncSession, *, checkout_id: int) -> None:
    """A checkout failed: its shopper may use the offer again while it lasts, and the deal
    units it counted no longer count against the viewer's limit."""
    now = utcnow()
    for offer in await session.scalars(
        select(Offer).where(Offer.checkout_id == checkout_id, Offer.status == "used")
    ):
        offer.checkout_id = None
        offer.status = "accepted" if offer.valid_until and offer.valid_until > now else "expired"
    for claim in await session.scalars(
        select(DealClaim).where(DealClaim.checkout_id == checkout_id)
    ):
        await session.execute(
            update(DealBuyer)
            .where(DealBuyer.deal_id == claim.deal_id, DealBuyer.shopper_id == claim.shopper_id)
            .values(units=DealBuyer.units - claim.units)
        )
        await session.delete(claim)  # in the same transaction: a redelivery finds nothing


def register_handlers(registry: HandlerRegistry, databases: Databases) -> None:
    async def give_back_failed_claims(delivery: Delivery) -> None:
        async with databases.session(delivery.cell) as session:
            await give_back_claims(session, checkout_id=delivery.payload["checkout_id"])

    async def end_deals_of_ended_room(delivery: Delivery) -> None:
        await end_due_deals(databases, delivery.cell)

    registry.register(CheckoutFailed, "live.give_back_failed_claims", give_back_failed_claims)
    registry.register(LiveRoomEnded, "live.end_deals_of_ended_room", end_deals_of_ended_room)


# --- buying from the room -----------------------------------------------------------------


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
    sellable = await _room_sellable(cell, global_, room, order.sku)
    source = OrderSource("live", room.id, room.host_user_id)
    price, pool, hook, what = sellable.price, inventory_service.SHELF, None, "shelf"
    if order.deal_id is not None:
        deal = await get_deal(cell, room, order.deal_id)
        if deal.variant_id != sellable.variant_id:
            raise InvalidInput("That flash deal is for another product.")
        price, pool = Money(deal.price_minor, deal.currency), deal_pool(deal.id)
        hook, what = _claim_deal(deal.id, shopper_id, order.quantity), "deal"
    elif order.offer_id is not None:
        offer = await get_offer(cell, room, order.offer_id)
        if offer.shopper_id != shopper_id or offer.variant_id != sellable.variant_id:
            raise NotAllowed("This bargained price is not yours to use.")
        if order.quantity != 1:
            raise InvalidInput("A bargained price is for one unit.")
        price, hook, what = agreed_price(offer), _claim_offer(offer.id, shopper_id), "offer"
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


async def buy(
    databases: Databases,
    gateway: PaymentGateway,
    *,
    public_name: str,
    attempt: Attempt,
    order: RoomOrder,
    card_number: str,
) -> tuple[CheckoutResult, DrawerItem]:
    """Pay for one line from the room, without the cart; the room is the order's source."""
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
    result = await checkout_service.buy_now(
        databases,
        gateway,
        cell=cell,
        attempt=attempt,
        purchases=[item.purchase],
        card_number=card_number,
        on_open=item.hook,
    )
    return result, item
