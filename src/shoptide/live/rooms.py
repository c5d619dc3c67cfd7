"""Live rooms from scheduled to ended: scheduling, stream keys, going live.

A room's public name ("us-3f9c2a7b1d") is its stream name on the media server and in HLS
URLs; it starts with the market code, which says which cell holds the room. The secret
stream key is shown to the host once; only its SHA-256 is stored.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.catalog import service as catalog_service
from shoptide.db import Databases, utcnow
from shoptide.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from shoptide.live.models import LiveRoom, RoomProduct
from shoptide.markets.models import Market

PUBLIC_NAME = re.compile(r"^([a-z]{2})-[0-9a-f]{10}$")
MAX_ROOM_PRODUCTS = 30
# a room may be scheduled a little in the past: "now" typed on a slow form
SCHEDULE_GRACE = timedelta(minutes=10)
OPEN_STATUSES = ("scheduled", "rehearsal", "live")


def market_of(public_name: str) -> str:
    """The market a room's public name belongs to; NotFound for a malformed name."""
    match = PUBLIC_NAME.match(public_name)
    if match is None:
        raise NotFound("There is no such live room.")
    return match.group(1).upper()


def _new_public_name(market: str) -> str:
    return f"{market.lower()}-{secrets.token_hex(5)}"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(room: LiveRoom) -> str:
    """A new secret stream key; the previous one stops working. Shown to the host once."""
    key = secrets.token_urlsafe(24)
    room.stream_key_hash = _key_hash(key)
    room.stream_key_hint = key[-4:]
    return key


def revoke_key(room: LiveRoom) -> None:
    room.stream_key_hash = None
    room.stream_key_hint = ""


def key_matches(room: LiveRoom, key: str) -> bool:
    return room.stream_key_hash is not None and hmac.compare_digest(
        room.stream_key_hash, _key_hash(key)
    )


async def _check_products(
    global_: AsyncSession, product_ids: Sequence[int], *, shop_id: int, market: str
) -> list[int]:
    wanted = list(dict.fromkeys(product_ids))
    if len(wanted) > MAX_ROOM_PRODUCTS:
        raise InvalidInput(f"A live room can sell at most {MAX_ROOM_PRODUCTS} products.")
    for product_id in wanted:
        product = await catalog_service.get_for_shop(global_, product_id, shop_id=shop_id)
        if product.status != "published":
            raise InvalidInput(f"{product.title} is not published yet.")
    sold_here = await catalog_service.products_sold_in(global_, wanted, market=market)
    if missing := [p for p in wanted if p not in sold_here]:
        raise InvalidInput(f"Product #{missing[0]} has no price in {market} yet.")
    return wanted


async def schedule(
    cell: AsyncSession,
    global_: AsyncSession,
    *,
    host_user_id: int,
    shop_id: int,
    market: str,
    title: str,
    scheduled_at: datetime,
    product_ids: Sequence[int],
    rehearsal: bool = False,
) -> tuple[LiveRoom, str]:
    """Schedule a room; returns it with its secret stream key (shown once)."""
    title = title.strip()
    if not 1 <= len(title) <= 120:
        raise InvalidInput("Give the live room a title of 1 to 120 characters.")
    if scheduled_at.tzinfo is None:
        raise InvalidInput("The start time needs a time zone.")
    if scheduled_at < utcnow() - SCHEDULE_GRACE:
        raise InvalidInput("The start time is in the past.")
    products = await _check_products(global_, product_ids, shop_id=shop_id, market=market)
    room = LiveRoom(
        market_code=market,
        public_name=_new_public_name(market),
        host_user_id=host_user_id,
        shop_id=shop_id,
        title=title,
        scheduled_at=scheduled_at,
        rehearsal=rehearsal,
        products=[RoomProduct(product_id=p, position=i) for i, p in enumerate(products)],
    )
    key = issue_key(room)
    cell.add(room)
    await cell.flush()
    return room, key


async def get(session: AsyncSession, public_name: str) -> LiveRoom:
    market_of(public_name)
    room = await session.scalar(select(LiveRoom).where(LiveRoom.public_name == public_name))
    if room is None:
        raise NotFound("There is no such live room.")
    return room


async def for_shop(session: AsyncSession, *, shop_id: int) -> Sequence[LiveRoom]:
    return (
        await session.scalars(
            select(LiveRoom)
            .where(LiveRoom.shop_id == shop_id)
            .order_by(LiveRoom.scheduled_at.desc())
        )
    ).all()


async def on_air(session: AsyncSession, *, market: str, limit: int = 50) -> Sequence[LiveRoom]:
    """Rooms shoppers of the market can see: live now first, then the coming ones."""
    return (
        await session.scalars(
            select(LiveRoom)
            .where(LiveRoom.market_code == market, LiveRoom.status.in_(("scheduled", "live")))
            .order_by((LiveRoom.status == "live").desc(), LiveRoom.scheduled_at)
            .limit(limit)
        )
    ).all()


async def live_now(
    session: AsyncSession, *, market: str, room_ids: Sequence[int] | None = None
) -> Sequence[LiveRoom]:
    """The market's rooms on air now (all, or those of `room_ids`), with their products."""
    query = select(LiveRoom).where(LiveRoom.market_code == market, LiveRoom.status == "live")
    if room_ids is not None:
        query = query.where(LiveRoom.id.in_(room_ids))
    return (await session.scalars(query.order_by(LiveRoom.started_at, LiveRoom.id))).all()


def ensure_host(room: LiveRoom, *, shop_id: int) -> None:
    if room.shop_id != shop_id:
        raise NotAllowed("This live room belongs to another shop.")


def _started(room: LiveRoom) -> events.LiveRoomStarted:
    return events.LiveRoomStarted(
        room_id=room.id,
        public_name=room.public_name,
        market=room.market_code,
        host_user_id=room.host_user_id,
        shop_id=room.shop_id,
        title=room.title,
    )


def _go_live(session: AsyncSession, room: LiveRoom) -> None:
    room.status = "live"
    room.started_at = utcnow()
    events.record(session, _started(room))


async def begin_publishing(session: AsyncSession, *, public_name: str, key: str) -> LiveRoom:
    """The media server asks whether `key` may publish the room; NotAllowed refuses."""
    room = await get(session, public_name)
    if not key_matches(room, key):
        raise NotAllowed("This stream key is unknown or was revoked.")
    if room.status not in OPEN_STATUSES:
        raise NotAllowed("This live room has ended.")
    # no refusal when `publishing` is already set: nginx itself refuses a second encoder on a
    # stream name, and a media server that died without saying so must not lock the room
    room.publishing = True
    if room.status == "scheduled":
        if room.rehearsal:
            room.status = "rehearsal"
        else:
            _go_live(session, room)
    await session.flush()
    return room


async def open_to_viewers(session: AsyncSession, room: LiveRoom) -> None:
    """End the rehearsal: viewers see the stream from now on."""
    if room.status != "rehearsal":
        raise InvalidTransition("Only a room in rehearsal can be opened to viewers.")
    room.rehearsal = False
    _go_live(session, room)
    await session.flush()


def _end(session: AsyncSession, room: LiveRoom) -> None:
    room.status = "ended"
    room.ended_at = utcnow()
    events.record(
        session,
        events.LiveRoomEnded(
            room_id=room.id,
            public_name=room.public_name,
            market=room.market_code,
            host_user_id=room.host_user_id,
            shop_id=room.shop_id,
        ),
    )


async def end(session: AsyncSession, room: LiveRoom) -> None:
    """The host ends the room from the console (the media server drops the encoder)."""
    if room.status != "live":
        raise InvalidTransition("Only a live room can be ended.")
    _end(session, room)
    revoke_key(room)
    await session.flush()


async def end_publishing(session: AsyncSession, *, public_name: str) -> LiveRoom:
    """The stream stopped: a live room ends, a rehearsal goes back to waiting."""
    room = await get(session, public_name)
    room.publishing = False
    if room.status == "rehearsal":
        room.status = "scheduled"
    elif room.status == "live":
        _end(session, room)
    await session.flush()
    return room


async def cancel(session: AsyncSession, room: LiveRoom) -> None:
    if room.status != "scheduled":
        raise InvalidTransition("Only a room that has not started can be cancelled.")
    room.status = "cancelled"
    revoke_key(room)
    await session.flush()


# --- the room and its sessions ------------------------------------------------------------


@dataclass
class RoomScope:
    """A room read in a unit of work, with the sessions to act in it."""

    room: LiveRoom
    market: Market
    cell_name: str
    cell: AsyncSession
    global_: AsyncSession


def cell_of_room(databases: Databases, public_name: str) -> str:
    return databases.settings.cell_of_market(market_of(public_name))
