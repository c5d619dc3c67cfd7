"""Selling in a live room, what its flash deals (live.deals), bargaining (live.offers) and
checkout drawer (live.drawer) share: a price typed by a person, the room's sellable
variants, the pinned product, and giving back what a failed checkout claimed.

A flash deal's units move from the shelf into a stock pool of their own when it starts
(inventory), so viewers can never buy more than the deal holds, whatever the number of
app processes; unsold units go back to the shelf when it ends. An accepted offer is a
personal price its shopper may use once, within OFFER_VALID_FOR, claimed in the same
transaction as the checkout that uses it and given back if that checkout fails.

Functions take the sessions they work in and never commit; live.selling owns the units
of work.
"""

from decimal import InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.db import utcnow
from shoptide.errors import InvalidInput, InvalidTransition, NotFound
from shoptide.live.models import DealBuyer, DealClaim, LiveRoom, Offer, RoomPin, RoomProduct
from shoptide.money import Money


def parse_price(text: str, currency: str) -> Money:
    """A price typed by a person ("12.50"), in the room's currency; more than zero."""
    try:
        price = Money.from_decimal(text.strip().replace(",", "."), currency)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{text!r} is not a price in {currency}.") from None
    if price.amount <= 0:
        raise InvalidInput("The price must be more than zero.")
    return price


def ensure_live(room: LiveRoom) -> None:
    if room.status != "live":
        raise InvalidTransition("This live room is not live right now.")


async def room_sellable(
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


async def pinned_product(cell: AsyncSession, room: LiveRoom) -> int | None:
    return await cell.scalar(
        select(RoomPin.product_id).where(RoomPin.room_id == room.id, RoomPin.unpinned_at.is_(None))
    )


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
