"""The feed's persistence: the event log, follows and items' cold-start stages (in the
market's cell). The merchant's report over the log is feed.report; the items the feed may
rank, read from the other domains, feed.loading.

The ranking engine itself keeps everything in memory (feed.engine); this module is what it
writes through and what it rebuilds from when a process starts. Functions take sessions
and never commit.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.db import upsert
from shoptide.errors import NotFound
from shoptide.feed.items import IMPRESSION, PURCHASE, Signal
from shoptide.feed.ladder import StageChange
from shoptide.feed.models import FeedEvent, Follow, ItemStage

# pg_advisory_xact_lock's first key: the feed's namespace for per-order locks
_ORDER_LOCK_NAMESPACE = 0x46454544  # "FEED"


def _aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- the event log ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServedLog:
    """Where an item stood on the page it was served on, and the ranker's view of it then."""

    position: int
    source: str  # the candidate source that proposed it
    features: list[float]


def _rows(
    signals: Sequence[Signal], *, page_id: str, served: Mapping[str, ServedLog] | None
) -> list[FeedEvent]:
    rows = []
    for signal in signals:
        log = (served or {}).get(signal.item_key)
        rows.append(
            FeedEvent(
                at=_aware(signal.at),
                market_code=signal.market,
                viewer=signal.viewer,
                item_key=signal.item_key,
                action=signal.action,
                value=signal.value,
                page_id=page_id,
                position=log.position if log else 0,
                source=log.source if log else "",
                stage=signal.stage,
                # the features are a training example's: logged once, with the impression
                features=[float(x) for x in log.features]
                if log and signal.action == IMPRESSION
                else None,
            )
        )
    return rows


async def record(
    session: AsyncSession,
    signals: Sequence[Signal],
    *,
    page_id: str = "",
    served: Mapping[str, ServedLog] | None = None,
) -> None:
    """Append the signals to the log; `served` (by item key) adds each item's place on the
    page (to every row of that item) and the ranker's features (to its impression only)."""
    if not signals:
        return
    session.add_all(_rows(signals, page_id=page_id, served=served))
    await session.flush()


async def _lock_order(session: AsyncSession, order_id: int) -> None:
    """Serialize writers crediting one order. SQLite writers already queue (BEGIN
    IMMEDIATE); PostgreSQL takes a lock held until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_ORDER_LOCK_NAMESPACE, order_id)))


async def record_order(session: AsyncSession, signals: Sequence[Signal], *, order_id: int) -> bool:
    """Log an order's purchase signals once (page "order:<id>"): False, and nothing written,
    when an earlier delivery of the same order already logged them."""
    page_id = f"order:{order_id}"
    await _lock_order(session, order_id)
    logged = await session.scalar(
        select(FeedEvent.id)
        .where(FeedEvent.page_id == page_id, FeedEvent.action == PURCHASE)
        .limit(1)
    )
    if logged is not None:
        return False
    await record(session, signals, page_id=page_id)
    return True


async def recent_signals(session: AsyncSession, *, since: datetime) -> list[Signal]:
    """Every signal logged since `since`, oldest first: what the engine replays at start."""
    rows = await session.scalars(
        select(FeedEvent).where(FeedEvent.at >= since).order_by(FeedEvent.at, FeedEvent.id)
    )
    return [
        Signal(
            viewer=row.viewer,
            market=row.market_code,
            item_key=row.item_key,
            action=row.action,
            at=row.at.timestamp(),
            value=row.value,
            stage=row.stage,
        )
        for row in rows
    ]


# --- follows --------------------------------------------------------------------------------


async def check_host(global_session: AsyncSession, host_id: int) -> None:
    """Hosts are merchants' accounts, which live in the global cell."""
    if host_id not in await accounts_service.display_names(global_session, [host_id]):
        raise NotFound("There is no such host to follow.")


async def follow(session: AsyncSession, *, follower_id: int, host_id: int, market: str) -> bool:
    """Follow a host once: a second follow changes nothing (the unique constraint decides)."""
    try:
        async with session.begin_nested():
            session.add(Follow(follower_id=follower_id, host_id=host_id, market_code=market))
    except IntegrityError:
        return False
    return True


async def follow_host(
    global_session: AsyncSession,
    cell: AsyncSession,
    *,
    follower_id: int,
    host_id: int,
    market: str,
) -> bool:
    """Follow a host known to the global cell (the `host_id` of a feed item)."""
    await check_host(global_session, host_id)
    return await follow(cell, follower_id=follower_id, host_id=host_id, market=market)


async def unfollow(session: AsyncSession, *, follower_id: int, host_id: int) -> bool:
    removed = await session.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.host_id == host_id)
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]


async def followed_hosts(session: AsyncSession, *, follower_id: int) -> frozenset[int]:
    return frozenset(
        await session.scalars(select(Follow.host_id).where(Follow.follower_id == follower_id))
    )


async def follower_count(session: AsyncSession, *, host_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Follow).where(Follow.host_id == host_id)
        )
        or 0
    )


# --- cold-start stages ----------------------------------------------------------------------


async def save_stages(session: AsyncSession, changes: Sequence[StageChange]) -> None:
    """Upsert each item's stage by its key (the latest change of an item wins)."""
    latest = {change.item_key: change for change in changes}  # one row per key per statement
    if not latest:
        return
    insert = upsert(session, ItemStage)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[ItemStage.item_key],
            set_={
                name: insert.excluded[name]
                for name in ("market_code", "shop_id", "stage", "status", "reason", "changed_at")
            },
        ),
        [
            {
                "item_key": change.item_key,
                "market_code": change.market,
                "shop_id": change.shop_id,
                "stage": change.stage,
                "status": change.status,
                "reason": change.reason[:300],
                "changed_at": _aware(change.at),
            }
            for change in latest.values()
        ],
    )


def stage_change(row: ItemStage) -> StageChange:
    return StageChange(
        item_key=row.item_key,
        market=row.market_code,
        shop_id=row.shop_id,
        stage=row.stage,
        status=row.status,
        reason=row.reason,
        at=row.changed_at.timestamp(),
    )


async def load_stages(session: AsyncSession) -> list[StageChange]:
    """Every item's current stage in the cell."""
    rows = await session.scalars(select(ItemStage).order_by(ItemStage.id))
    return [stage_change(row) for row in rows]
