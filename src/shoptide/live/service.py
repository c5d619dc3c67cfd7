"""Live rooms as people live them: who is in the room and what they may do, comments and
moderation, pinned products, reminders, and the snapshot a socket gets when it joins.

Functions take a `RoomScope` (the room with the sessions to act in it) or a session, and
never commit: live.flows opens the unit of work with `in_room` and tells the room through
the hub only after it committed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import notifications
from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.content import service as content_service
from shoptide.db import Base, utcnow
from shoptide.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from shoptide.live import deals, rooms
from shoptide.live.models import (
    LiveRoom,
    RoomComment,
    RoomModerator,
    RoomMute,
    RoomPin,
    RoomProduct,
    RoomReminder,
)
from shoptide.live.realtime import Limit
from shoptide.live.rooms import RoomScope
from shoptide.markets.models import Market
from shoptide.media import media_url
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service

MAX_COMMENT_CHARS = 300
RECENT_COMMENTS = 50
# per viewer and room: one comment every 2 seconds, ten a minute
COMMENT_LIMITS: tuple[Limit, ...] = ((2.0, 1), (60.0, 10))
MODERATING_ROLES = ("host", "moderator", "operator")


def shopper_of_market(user: Principal | None, market: str) -> Principal | None:
    """The signed-in shopper if they shop in the market: only they can ask for reminders."""
    if user is not None and user.role == "shopper" and user.market_code == market:
        return user
    return None


@dataclass(frozen=True)
class OnAir:
    """The market's rooms live now, then the coming ones, as one visitor sees them."""

    live: list[LiveRoom]
    upcoming: list[LiveRoom]
    reminded: set[int]  # the rooms the shopper asked to be reminded of
    can_remind: bool


async def on_air(cell: AsyncSession, *, market: str, user: Principal | None) -> OnAir:
    listed = await rooms.on_air(cell, market=market)
    shopper = shopper_of_market(user, market)
    asked = (
        await reminded(cell, shopper_id=shopper.user_id, room_ids=[r.id for r in listed])
        if shopper
        else set()
    )
    return OnAir(
        live=[r for r in listed if r.status == "live"],
        upcoming=[r for r in listed if r.status != "live"],
        reminded=asked,
        can_remind=shopper is not None,
    )


async def room_product_ids(cell: AsyncSession, room: LiveRoom) -> list[int]:
    return list(
        await cell.scalars(
            select(RoomProduct.product_id)
            .where(RoomProduct.room_id == room.id)
            .order_by(RoomProduct.position)
        )
    )


async def _add_once(session: AsyncSession, row: Base) -> None:
    """Insert a row a unique constraint allows once; a second time changes nothing."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        pass  # already there (a double click, or two moderators at once): the same outcome


# --- who is in the room -------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    """Someone on a room's socket, as the room sees them.

    `role`: host (a member of the room's shop), moderator or viewer (shoppers of the room's
    market), operator, or visitor (signed out, or a shopper of another market: they watch).
    `refusal` says why they can't comment; empty when they can.
    """

    role: str
    name: str = ""
    user_id: int | None = None
    cell: str = ""
    refusal: str = ""

    @property
    def shopper_id(self) -> int | None:
        """Their id among the room's shoppers, for messages sent to them alone."""
        return self.user_id if self.role in ("viewer", "moderator") else None

    @property
    def can_comment(self) -> bool:
        return not self.refusal

    def public(self) -> dict[str, Any]:
        return {"role": self.role, "can_comment": self.can_comment, "refusal": self.refusal}


async def participant(scope: RoomScope, user: Principal | None) -> Participant:
    room = scope.room
    if user is None:
        return Participant("visitor", refusal="Sign in to comment.")
    if user.role == "merchant":
        return await _merchant(scope, user)
    if user.role == "operator":
        return Participant(
            "operator", "Shoptide", user.user_id, user.cell, "Operators moderate; they don't chat."
        )
    if user.market_code != room.market_code:
        return Participant(
            "visitor", refusal=f"Only shoppers in {scope.market.name} can comment in this room."
        )
    moderator = await is_moderator(scope.cell, room, user.user_id)
    return Participant(
        "moderator" if moderator else "viewer", user.display_name, user.user_id, user.cell
    )


async def _merchant(scope: RoomScope, user: Principal) -> Participant:
    """A member of the room's shop hosts it, signing comments with the shop's name."""
    shop_id = scope.room.shop_id or 0
    try:
        await shops_service.membership(scope.global_, user_id=user.user_id, shop_id=shop_id)
    except NotAllowed:
        return Participant("visitor", refusal="Sign in with a shopper account to comment.")
    shop = await shops_service.get(scope.global_, shop_id)
    return Participant("host", shop.name, user.user_id, GLOBAL_CELL)


async def is_moderator(cell: AsyncSession, room: LiveRoom, shopper_id: int | None) -> bool:
    found = await cell.scalar(
        select(RoomModerator.id).where(
            RoomModerator.room_id == room.id, RoomModerator.shopper_id == shopper_id
        )
    )
    return found is not None


async def is_muted(cell: AsyncSession, room: LiveRoom, shopper_id: int | None) -> bool:
    found = await cell.scalar(
        select(RoomMute.id).where(RoomMute.room_id == room.id, RoomMute.shopper_id == shopper_id)
    )
    return found is not None


async def _ensure_moderates(scope: RoomScope, actor: Participant) -> None:
    """Hosts and operators always; a shopper while they are a moderator (read each time:
    one removed mid-show loses the power at once)."""
    if actor.role in ("host", "operator"):
        return
    if actor.shopper_id is not None and await is_moderator(scope.cell, scope.room, actor.user_id):
        return
    raise NotAllowed("Only the host and the room's moderators can do that.")


# --- comments -----------------------------------------------------------------------------


def comment_message(comment: RoomComment) -> dict[str, Any]:
    return {
        "type": "comment",
        "id": comment.id,
        "author": comment.author_name,
        "role": comment.author_role,
        "body": comment.body,
        "at": comment.created_at.isoformat(),
    }


def _closed_reason(room: LiveRoom) -> str:
    if room.status in ("ended", "cancelled"):
        return "This live is over: comments are closed."
    return "Comments open when the live starts."


async def add_comment(scope: RoomScope, author: Participant, body: str) -> RoomComment:
    """Store a comment. Checked here: the author may comment, the room is live, they are
    not muted, and the text passes the market's blocked words."""
    room = scope.room
    if author.refusal:
        raise NotAllowed(author.refusal)
    if room.status != "live":
        raise InvalidTransition(_closed_reason(room))
    if len(body.strip()) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"Comments can be at most {MAX_COMMENT_CHARS} characters.")
    role = author.role
    if author.shopper_id is not None:
        role = "moderator" if await is_moderator(scope.cell, room, author.user_id) else "viewer"
        if role == "viewer" and await is_muted(scope.cell, room, author.user_id):
            raise NotAllowed("The host has muted you in this room: you can watch, not comment.")
    text = await content_service.check_comment(scope.global_, room.market_code, body)
    comment = RoomComment(
        room_id=room.id,
        author_cell=author.cell,
        author_id=author.user_id,
        author_name=author.name,
        author_role=role,
        body=text,
    )
    scope.cell.add(comment)
    await scope.cell.flush()
    return comment


async def recent_comments(
    cell: AsyncSession, room: LiveRoom, *, limit: int = RECENT_COMMENTS
) -> list[RoomComment]:
    """The latest visible comments, oldest first (the order a chat reads)."""
    latest = await cell.scalars(
        select(RoomComment)
        .where(RoomComment.room_id == room.id, RoomComment.status == "visible")
        .order_by(RoomComment.id.desc())
        .limit(limit)
    )
    return list(reversed(latest.all()))


async def _comment_in_room(cell: AsyncSession, room: LiveRoom, comment_id: int) -> RoomComment:
    comment = await cell.get(RoomComment, comment_id)
    if comment is None or comment.room_id != room.id:
        raise NotFound("There is no such comment in this room.")
    return comment


async def delete_comment(scope: RoomScope, actor: Participant, comment_id: int) -> RoomComment:
    """Hide a comment for everyone (host, moderator or operator)."""
    await _ensure_moderates(scope, actor)
    comment = await _comment_in_room(scope.cell, scope.room, comment_id)
    comment.status = "deleted"
    await scope.cell.flush()
    return comment


async def mute_author(scope: RoomScope, actor: Participant, comment_id: int) -> RoomComment:
    """Mute the viewer who wrote the comment: they keep watching, but can't comment."""
    await _ensure_moderates(scope, actor)
    comment = await _comment_in_room(scope.cell, scope.room, comment_id)
    is_viewer = comment.author_cell == scope.cell_name and comment.author_role == "viewer"
    if not is_viewer or await is_moderator(scope.cell, scope.room, comment.author_id):
        raise NotAllowed("Hosts and moderators can't be muted.")
    await _add_once(scope.cell, RoomMute(room_id=scope.room.id, shopper_id=comment.author_id))
    return comment


async def unmute(cell: AsyncSession, room: LiveRoom, shopper_id: int) -> None:
    await cell.execute(
        delete(RoomMute).where(RoomMute.room_id == room.id, RoomMute.shopper_id == shopper_id)
    )


async def muted(cell: AsyncSession, room: LiveRoom) -> list[tuple[int, str]]:
    """Muted viewers as (shopper id, name), the latest first."""
    ids = list(
        await cell.scalars(
            select(RoomMute.shopper_id)
            .where(RoomMute.room_id == room.id)
            .order_by(RoomMute.muted_at.desc())
        )
    )
    names = await accounts_service.display_names(cell, ids)
    return [(shopper_id, names.get(shopper_id, "")) for shopper_id in ids]


# --- moderators ---------------------------------------------------------------------------


async def appoint_moderator(scope: RoomScope, *, email: str) -> str:
    """Make a shopper of the room's market a moderator; returns their name."""
    user = await accounts_service.find_by_email(scope.cell, email)
    if user is None or user.role != "shopper" or user.market_code != scope.room.market_code:
        raise NotFound(f"No shopper in {scope.market.name} has the email {email.strip()}.")
    await _add_once(scope.cell, RoomModerator(room_id=scope.room.id, shopper_id=user.id))
    return user.display_name


async def remove_moderator(cell: AsyncSession, room: LiveRoom, shopper_id: int) -> None:
    await cell.execute(
        delete(RoomModerator).where(
            RoomModerator.room_id == room.id, RoomModerator.shopper_id == shopper_id
        )
    )


async def moderators(cell: AsyncSession, room: LiveRoom) -> list[tuple[int, str]]:
    ids = list(
        await cell.scalars(
            select(RoomModerator.shopper_id)
            .where(RoomModerator.room_id == room.id)
            .order_by(RoomModerator.appointed_at)
        )
    )
    names = await accounts_service.display_names(cell, ids)
    return [(shopper_id, names.get(shopper_id, "")) for shopper_id in ids]


# --- pinned product -----------------------------------------------------------------------


async def product_card(global_: AsyncSession, product_id: int, market: Market) -> dict[str, Any]:
    """A product as the room shows it: its variants with SKU and price in the room's market."""
    variants = await catalog_service.sellables_of_products(
        global_, [product_id], market=market.code
    )
    if not variants:
        raise NotFound("This product isn't for sale in the room's market any more.")
    cheapest = min(variants, key=lambda v: v.price.amount)
    return {
        "id": product_id,
        "title": cheapest.title,
        "url": f"/p/{product_id}",
        "image": media_url(cheapest.image),
        "price": cheapest.price.format(market.locale),
        "variants": [
            {"id": v.variant_id, "sku": v.sku, "label": v.variant_label,
             "price": v.price.format(market.locale)}
            for v in variants
        ],
    }  # fmt: skip


async def _open_pin(cell: AsyncSession, room: LiveRoom) -> RoomPin | None:
    return await cell.scalar(
        select(RoomPin).where(RoomPin.room_id == room.id, RoomPin.unpinned_at.is_(None))
    )


async def pinned_card(scope: RoomScope) -> dict[str, Any] | None:
    pin = await _open_pin(scope.cell, scope.room)
    if pin is None:
        return None
    try:
        return await product_card(scope.global_, pin.product_id, scope.market)
    except NotFound:  # unpublished since it was pinned: the room shows nothing pinned
        return None


async def pin(scope: RoomScope, product_id: int) -> dict[str, Any]:
    """Pin one of the room's products (the previous pin closes); returns its card."""
    room = scope.room
    if room.status not in rooms.OPEN_STATUSES:
        raise InvalidTransition("This live is over: nothing can be pinned any more.")
    if product_id not in await room_product_ids(scope.cell, room):
        raise NotFound("That product isn't one of this room's products.")
    card = await product_card(scope.global_, product_id, scope.market)
    current = await _open_pin(scope.cell, room)
    if current is not None and current.product_id == product_id:
        return card  # pinned already: the replay keeps one chapter
    now = utcnow()
    if current is not None:
        current.unpinned_at = now
    scope.cell.add(RoomPin(room_id=room.id, product_id=product_id, pinned_at=now))
    await scope.cell.flush()
    return card


async def unpin(scope: RoomScope) -> bool:
    """Close the open pin; False when nothing was pinned."""
    current = await _open_pin(scope.cell, scope.room)
    if current is None:
        return False
    current.unpinned_at = utcnow()
    await scope.cell.flush()
    return True


# --- what a socket gets when it joins -----------------------------------------------------


def room_summary(room: LiveRoom) -> dict[str, Any]:
    return {
        "name": room.public_name,
        "title": room.title,
        "status": room.status,
        "market": room.market_code,
    }


async def snapshot(scope: RoomScope, *, viewers: int, you: Participant) -> dict[str, Any]:
    running = await deals.active_deals(scope.cell, scope.global_, scope.room)
    return {
        "type": "snapshot",
        "room": room_summary(scope.room),
        "viewers": viewers,
        "comments": [comment_message(c) for c in await recent_comments(scope.cell, scope.room)],
        "pinned": await pinned_card(scope),
        "deals": [deal.message(scope.market.locale) for deal in running],
        "you": you.public(),
    }


# --- reminders ----------------------------------------------------------------------------


async def remind(scope: RoomScope, shopper: Principal) -> None:
    """The shopper gets a notification when the room goes live."""
    room = scope.room
    if shopper.role != "shopper" or shopper.market_code != room.market_code:
        raise NotAllowed(f"Only shoppers in {scope.market.name} can be reminded of this room.")
    if room.status not in ("scheduled", "rehearsal"):
        raise InvalidTransition("This room has already started.")
    await _add_once(scope.cell, RoomReminder(room_id=room.id, shopper_id=shopper.user_id))


async def reminded(cell: AsyncSession, *, shopper_id: int, room_ids: Sequence[int]) -> set[int]:
    """Which of the rooms the shopper asked to be reminded of."""
    if not room_ids:
        return set()
    return set(
        await cell.scalars(
            select(RoomReminder.room_id).where(
                RoomReminder.shopper_id == shopper_id, RoomReminder.room_id.in_(room_ids)
            )
        )
    )


async def send_reminders(cell: AsyncSession, *, room_id: int, title: str, link: str) -> int:
    """Notify every shopper who asked and wasn't told yet; returns how many were told.
    Run twice, it tells nobody twice (notified_at is set in the same transaction)."""
    due = (
        await cell.scalars(
            select(RoomReminder)
            .where(RoomReminder.room_id == room_id, RoomReminder.notified_at.is_(None))
            .with_for_update(skip_locked=True)
        )
    ).all()
    now = utcnow()
    for reminder in due:
        notifications.notify(cell, user_id=reminder.shopper_id, title=title, link=link)
        reminder.notified_at = now
    await cell.flush()
    return len(due)
