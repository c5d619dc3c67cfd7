"""Domain events through a transactional outbox.

`record()` adds an event to the session of the change, so it commits or rolls back with
it. The Dispatcher reads committed events and hands each to every handler registered for
its type. Delivery is at-least-once: a handler that raises is retried with backoff, and a
handler's success is recorded per (event, handler) so a re-run never delivers twice.
"""

import asyncio
import contextlib
import dataclasses
import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, Databases, UTCDateTime, upsert, utcnow

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base for events; subclasses are plain dataclasses of JSON-friendly fields."""

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class OrderEvent(DomainEvent):
    """What every event about one order names first: the order, its shop and its market."""

    order_id: int
    shop_id: int
    market: str


@dataclasses.dataclass(frozen=True)
class OrderPlaced(OrderEvent):
    total_minor: int
    currency: str
    # where the purchase started ("video" | "live", its id in the cell, its host), if anywhere
    source_kind: str = ""
    source_id: int | None = None
    source_host_id: int | None = None


@dataclasses.dataclass(frozen=True)
class OrderPaid(OrderEvent):
    total_minor: int
    currency: str
    # (product_id, quantity) of each line, for sales counters downstream
    items: tuple[tuple[int, int], ...] = ()
    # who bought, and where the purchase started ("video" | "live" and its id in the cell)
    shopper_id: int | None = None
    source_kind: str = ""
    source_id: int | None = None


@dataclasses.dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    checkout_id: int
    refund_minor: int
    currency: str
    reason: str


@dataclasses.dataclass(frozen=True)
class CheckoutFailed(DomainEvent):
    """A checkout ended unpaid (declined or expired): what it held is given back."""

    checkout_id: int
    market: str


@dataclasses.dataclass(frozen=True)
class OrderShipped(OrderEvent):
    carrier: str
    tracking_number: str


@dataclasses.dataclass(frozen=True)
class OrderDelivered(OrderEvent):
    """The parcel arrived: the return window starts (ISO 8601 UTC time)."""

    delivered_at: str


@dataclasses.dataclass(frozen=True)
class OrderLineRefunded(OrderEvent):
    """Money given back on one line after shipping (a partial refund or a return)."""

    checkout_id: int
    order_line_id: int
    refund_id: int  # orders' OrderLineRefund id
    amount_minor: int
    currency: str
    reason: str  # "refund" | "return"


@dataclasses.dataclass(frozen=True)
class CommissionEvent(DomainEvent):
    """What every event about one commission names first (field order is the payload's, and
    `record_selected`'s columns follow it)."""

    commission_id: int
    market: str
    creator_id: int


@dataclasses.dataclass(frozen=True)
class CommissionAccrued(CommissionEvent):
    """A paid order line earns its creator a (pending) commission."""

    shop_id: int
    order_id: int
    order_line_id: int
    amount_minor: int
    currency: str


@dataclasses.dataclass(frozen=True)
class CommissionSettled(CommissionEvent):
    """The return window passed: what is left of the commission is the creator's."""

    amount_minor: int
    currency: str


@dataclasses.dataclass(frozen=True)
class CommissionReversed(CommissionEvent):
    """A refund, return or cancellation took back (part of) a pending commission."""

    amount_minor: int  # taken back by this reversal
    currency: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ProductStatusChanged(DomainEvent):
    """A product was published (shoppers can find it) or went back to draft (hidden),
    whoever changed it: its shop in Seller Center or the API, or an operator."""

    product_id: int
    shop_id: int
    from_status: str
    to_status: str


@dataclasses.dataclass(frozen=True)
class VideoEvent(DomainEvent):
    """What every event about one short video names first."""

    video_id: int
    market: str


@dataclasses.dataclass(frozen=True)
class VideoUploaded(VideoEvent):
    """A short video was uploaded: transcode it (also re-recorded for a stalled transcode)."""


@dataclasses.dataclass(frozen=True)
class VideoPublished(VideoEvent):
    """A short video became playable: new content for the feed's cold start."""

    host_user_id: int
    shop_id: int | None
    product_ids: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class LiveRoomEvent(DomainEvent):
    """What every event about one live room names first: the room, its host and its shop."""

    room_id: int
    public_name: str
    market: str
    host_user_id: int
    shop_id: int | None


@dataclasses.dataclass(frozen=True)
class LiveRoomStarted(LiveRoomEvent):
    """The room opened to viewers (a rehearsal does not count)."""

    title: str


@dataclasses.dataclass(frozen=True)
class LiveRoomEnded(LiveRoomEvent):
    """The room ended: it is live no more."""


class OutboxEvent(Base):
    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxDelivery(Base):
    """One row per handler that has handled an event: the idempotency record."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (UniqueConstraint("event_id", "handler"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigKey, ForeignKey("outbox_event.id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(120))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def record(session: AsyncSession, event: DomainEvent) -> None:
    session.add(OutboxEvent(type=event.type, payload=json.loads(json.dumps(event.payload()))))


async def record_selected(
    session: AsyncSession,
    event_type: type[DomainEvent],
    rows: Select[*tuple[Any, ...]],
    *,
    at: datetime | None = None,
) -> None:
    """record() for one `event_type` event per row of `rows`, in one INSERT ... SELECT: a
    batch job's events without a row passing through Python.

    The select's columns are the event's fields, by name and in their order, of integers,
    strings or NULLs (a flat event); the database's JSON function builds the payload, so it
    reads back as `event.payload()` would.
    """
    fields = tuple(field.name for field in dataclasses.fields(event_type))
    names = tuple(rows.selected_columns.keys())
    if names != fields:
        raise ValueError(f"{event_type.__name__} needs the columns {fields}, got {names}")
    source = rows.subquery()
    build = (
        func.json_build_object
        if session.get_bind().dialect.name == "postgresql"
        else func.json_object
    )
    # keys as SQL literals, not parameters: PostgreSQL cannot type a parameter of a variadic
    # "any" function (field names are identifiers, safe to inline)
    payload = build(
        *itertools.chain.from_iterable(
            (literal_column(f"'{name}'"), source.c[name]) for name in fields
        )
    )
    moment = literal(at or utcnow(), UTCDateTime())
    await session.execute(
        insert(cast(Table, OutboxEvent.__table__)).from_select(
            ["type", "payload", "created_at", "next_attempt_at", "attempts"],
            select(literal(event_type.__name__), payload, moment, moment, literal(0)),
        )
    )


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What a handler receives: the event and where it came from."""

    id: int
    type: str
    payload: dict[str, Any]
    cell: str


Handler = Callable[[Delivery], Awaitable[None]]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, dict[str, Handler]] = {}

    def register(self, event_type: type[DomainEvent], name: str, handler: Handler) -> None:
        self._handlers.setdefault(event_type.__name__, {})[name] = handler

    def for_type(self, event_type: str) -> dict[str, Handler]:
        return dict(self._handlers.get(event_type, {}))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 300))


class Dispatcher:
    """Delivers committed outbox events of every cell to their handlers."""

    def __init__(self, databases: Databases, registry: HandlerRegistry) -> None:
        self.databases = databases
        self.registry = registry
        self._wakeup = asyncio.Event()

    def nudge(self) -> None:
        self._wakeup.set()

    async def run_once(self, batch: int = 200) -> int:
        """Deliver what is due in every cell; returns how many events finished."""
        done = 0
        for cell in self.databases.each_cell(with_global=True):
            done += await self._run_cell(cell, batch)
        return done

    async def _due(self, cell: str, batch: int) -> list[tuple[Delivery, set[str]]]:
        """Due events of the cell, each with the handlers that already have it."""
        async with self.databases.session(cell, write=False) as session:
            events = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_(None))
                    .where(OutboxEvent.attempts < MAX_ATTEMPTS)
                    .where(OutboxEvent.next_attempt_at <= utcnow())
                    .order_by(OutboxEvent.id)
                    .limit(batch)
                )
            ).all()
            delivered: dict[int, set[str]] = {event.id: set() for event in events}
            rows = await session.execute(
                select(OutboxDelivery.event_id, OutboxDelivery.handler).where(
                    OutboxDelivery.event_id.in_(delivered)
                )
            )
            for event_id, handler in rows:
                delivered[event_id].add(handler)
            return [
                (Delivery(e.id, e.type, dict(e.payload), cell), delivered[e.id]) for e in events
            ]

    async def _run_cell(self, cell: str, batch: int) -> int:
        """Hand a batch to its handlers, then record the outcome in one transaction."""
        due = await self._due(cell, batch)
        if not due:
            return 0
        handled: list[tuple[int, str]] = []
        failed: dict[int, str] = {}
        for delivery, already in due:
            for name, handler in self.registry.for_type(delivery.type).items():
                if name in already:
                    continue
                try:
                    await handler(delivery)  # outside any transaction of ours
                except Exception as exc:  # one handler's failure must not stop the others
                    log.warning(
                        "handler failed", handler=name, event_id=delivery.id, error=str(exc)
                    )
                    failed[delivery.id] = f"{name}: {exc!r}"[:2000]
                    continue
                handled.append((delivery.id, name))
        await self._record(cell, [d.id for d, _ in due], handled, failed)
        return len(due) - len(failed)

    async def _record(
        self,
        cell: str,
        event_ids: list[int],
        handled: list[tuple[int, str]],
        failed: dict[int, str],
    ) -> None:
        now = utcnow()
        async with self.databases.session(cell) as session:
            if handled:
                # another dispatcher may have recorded some of these: keep the first record
                await session.execute(
                    upsert(session, OutboxDelivery).on_conflict_do_nothing(),
                    [{"event_id": e, "handler": h, "delivered_at": now} for e, h in handled],
                )
            for event in await session.scalars(
                select(OutboxEvent).where(OutboxEvent.id.in_(event_ids))
            ):
                if event.id in failed:
                    event.attempts += 1
                    event.last_error = failed[event.id]
                    event.next_attempt_at = now + _backoff(event.attempts)
                else:
                    event.dispatched_at = now
                    event.last_error = None

    async def run_forever(self, interval: float) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("dispatcher pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=interval)
            self._wakeup.clear()
