"""Flash deals: units set aside from the shelf at a live-only price for a few minutes,
with an optional limit per viewer. Functions take sessions and never commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout.models import Checkout
from shoptide.checkout.service import OpenHook
from shoptide.db import rows_updated, upsert, utcnow
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.inventory import service as inventory_service
from shoptide.live.commerce import ensure_live, parse_price, room_sellable
from shoptide.live.models import DealBuyer, DealClaim, FlashDeal, LiveRoom
from shoptide.money import Money

DEAL_SECONDS = (10, 3600)
MAX_DEAL_UNITS = 10_000


def deal_pool(deal_id: int) -> str:
    return f"deal:{deal_id}"


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
    ensure_live(room)
    sellable = await room_sellable(cell, global_, room, sku)
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


async def end_due(session: AsyncSession, *, now: datetime) -> int:
    """End deals whose time is up, and every deal of an ended room; returns how many."""
    due = (
        await session.scalars(
            select(FlashDeal)
            .join(LiveRoom, LiveRoom.id == FlashDeal.room_id)
            .where(FlashDeal.status == "active")
            .where((FlashDeal.ends_at <= now) | (LiveRoom.status == "ended"))
        )
    ).all()
    for deal in due:
        await end_deal(session, deal)
    return len(due)


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


def claim_deal(deal_id: int, shopper_id: int, units: int) -> OpenHook:
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
