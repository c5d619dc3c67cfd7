"""Bargaining in a live room: a viewer offers a price for the pinned product; the host
accepts, rejects or counters; an accepted price is the shopper's to use once, within
OFFER_VALID_FOR. Functions take sessions and never commit."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.catalog import service as catalog_service
from shoptide.checkout.models import Checkout
from shoptide.checkout.service import OpenHook
from shoptide.db import rows_updated, utcnow
from shoptide.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound
from shoptide.live.commerce import ensure_live, parse_price, pinned_product, room_sellable
from shoptide.live.models import LiveRoom, Offer
from shoptide.live.rooms import RoomScope
from shoptide.money import Money

OFFER_VALID_FOR = timedelta(minutes=10)


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
    ensure_live(room)
    sellable = await room_sellable(cell, global_, room, sku)
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


def claim_offer(offer_id: int, shopper_id: int) -> OpenHook:
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


@dataclass(frozen=True)
class OfferRow:
    """An offer as the host's inbox and the viewer's panel show it."""

    offer: Offer
    buyer: str
    title: str
    sku: str

    @property
    def usable(self) -> bool:
        return offer_usable(self.offer)


async def offer_rows(scope: RoomScope, offers: list[Offer]) -> list[OfferRow]:
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
