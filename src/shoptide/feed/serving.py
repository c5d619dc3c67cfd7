"""The feed at request time, shared by the For You page and the API: serve a page, take
back what the viewer did with it, and keep the engine and the event log in step.

A served page is kept (in the feature store, for an hour) under a random page id: which
items it held, where, from which source, at which cold-start stage, and the features the
ranker saw. The viewer's events name the page and the item, so an impression logs the
features of the moment it was ranked (the training example), and nobody can report events
for items they were never shown.

Order of work for events: log them in the cell and commit, then tell the engine (side
effects after commit), then save any cold-start decisions in a second short transaction.

These are the feed's flows: they own their units of work (as do the engine's loading and
refresh below); feed.flows adds the page's own (cards, add to cart, likes and follows, the
merchant's report).
"""

import asyncio
import json
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from shoptide.db import Databases
from shoptide.errors import InvalidInput, NotFound
from shoptide.feed import loading, service
from shoptide.feed.engine import FeedEngine, Served
from shoptide.feed.items import (
    CART,
    CLICK,
    FOLLOW,
    IMPRESSION,
    LIKE,
    SHARE,
    SKIP,
    WATCH,
    FeedItem,
    Signal,
)
from shoptide.feed.ladder import StageChange
from shoptide.feed.loading import Wanted
from shoptide.feed.service import ServedLog
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)

# What a viewer's browser reports on its own; likes, follows and carts are recorded by the
# actions that make them (they change state elsewhere too).
REPORTED = (IMPRESSION, WATCH, SKIP, CLICK, SHARE)
MAX_EVENTS = 50  # per report
MAX_WATCH_MS = 3_600_000  # one view of one item: an hour at most


@dataclass(frozen=True, slots=True)
class ServedPage:
    page_id: str
    items: list[Served]
    followed: frozenset[int]  # hosts the viewer follows (read for ranking; cards show it)


@dataclass(frozen=True, slots=True)
class KeptPage:
    """A served page as kept for the events that come back about it."""

    market: str
    items: dict[str, tuple[ServedLog, int]]  # key -> the item's log, its stage when served


@dataclass(frozen=True, slots=True)
class Reported:
    """One event as a browser reports it."""

    item_key: str
    action: str
    value: float = 0.0


def viewer_of(shopper_id: int | None, visitor: str) -> str:
    return f"user:{shopper_id}" if shopper_id is not None else f"visitor:{visitor}"


async def serve(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    market: str,
    shopper_id: int | None,
    at: float,
    size: int = 10,
) -> ServedPage:
    followed: frozenset[int] = frozenset()
    if shopper_id is not None:
        async with databases.session(
            databases.settings.cell_of_market(market), write=False
        ) as cell:
            followed = await service.followed_hosts(cell, follower_id=shopper_id)
    items = await engine.page(viewer, market, at=at, size=size, followed=followed)
    page_id = secrets.token_urlsafe(12)
    await engine.features.keep_page(page_id, _page_record(viewer, market, items))
    return ServedPage(page_id, items, followed)


def _page_record(viewer: str, market: str, items: Sequence[Served]) -> str:
    return json.dumps(
        {
            "viewer": viewer,
            "market": market,
            "items": {
                s.item.key: [position, s.source, s.stage, s.features]
                for position, s in enumerate(items)
            },
        }
    )


async def kept_page(engine: FeedEngine, *, viewer: str, page_id: str) -> KeptPage:
    """The page as served (its market is the one events count in, whatever a client
    says); NotFound when the page is not this viewer's or has expired (pages are kept an
    hour, then they are gone like any other resource)."""
    kept = await engine.features.served_page(page_id)
    record = json.loads(kept) if kept else None
    if record is None or record["viewer"] != viewer:
        raise NotFound("This feed page has expired. Reload the page to keep scrolling.")
    return KeptPage(
        record["market"],
        {
            key: (ServedLog(position, source, features), stage)
            for key, (position, source, stage, features) in record["items"].items()
        },
    )


def _signal(viewer: str, market: str, event: Reported, stage: int, at: float) -> Signal:
    value = min(max(event.value, 0.0), MAX_WATCH_MS) if event.action == WATCH else 0.0
    return Signal(viewer, market, event.item_key, event.action, at, value, stage)


async def take_events(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    page_id: str,
    events: Sequence[Reported],
    at: float,
    allowed: Sequence[str] = REPORTED,
) -> None:
    """Log what the viewer did with items of a served page, then let the engine hear it."""
    if len(events) > MAX_EVENTS:
        raise InvalidInput(f"Send at most {MAX_EVENTS} events at a time.")
    page = await kept_page(engine, viewer=viewer, page_id=page_id)
    signals = []
    for event in events:
        if event.action not in allowed:
            raise InvalidInput(f"{event.action!r} is not an event the feed takes here.")
        if event.item_key not in page.items:
            raise InvalidInput(f"{event.item_key} was not on this feed page.")
        signals.append(_signal(viewer, page.market, event, page.items[event.item_key][1], at))
    cell = databases.settings.cell_of_market(page.market)
    async with databases.session(cell) as session:
        await service.record(
            session,
            signals,
            page_id=page_id,
            served={key: log for key, (log, _) in page.items.items()},
        )
    await save_changes(databases, cell, await engine.observe(signals))


async def save_changes(databases: Databases, cell: str, changes: Sequence[StageChange]) -> None:
    if changes:
        async with databases.session(cell) as session:
            await service.save_stages(session, changes)


async def acted(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    page_id: str,
    item_key: str,
    action: str,
    at: float,
) -> None:
    """A like, follow or add-to-cart made from a feed page (the action itself is done and
    committed by its own domain first): one event for the feed."""
    await take_events(
        databases,
        engine,
        viewer=viewer,
        page_id=page_id,
        events=[Reported(item_key, action)],
        at=at,
        allowed=(LIKE, FOLLOW, CART),
    )


# --- the engine's life in an app process ----------------------------------------------------


async def _market_items(databases: Databases, market: str, wanted: Wanted) -> list[FeedItem]:
    """One market's items: the global session first (and held), then the market's cell."""
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()
        cell = databases.settings.cell_of_market(market)
        async with databases.session(cell, write=False) as session:
            return await loading.market_items(global_, session, market, wanted)


async def load_items(databases: Databases, *, market: str | None = None) -> list[FeedItem]:
    """Every item the feed may rank in the market (or in every active market): ready
    videos, rooms on air and product cards of published products priced there."""
    if market is not None:
        codes = [market.upper()]
    else:
        async with databases.session(GLOBAL_CELL, write=False) as session:
            codes = [m.code for m in await markets_service.list(session)]
    items = []
    for code in codes:
        items += await _market_items(databases, code, Wanted())
    return items


async def load_item(databases: Databases, key: str, *, market: str) -> FeedItem | None:
    """One item as load_items would give it; None when the feed may not rank it (a video
    not ready, a room not on air, a product unpublished or not priced in the market)."""
    found = await _market_items(databases, market.upper(), Wanted.one(key))
    return found[0] if found else None


REPLAY_BATCH = 2_000


async def load(databases: Databases, engine: FeedEngine, *, at: float) -> None:
    """(Re)fill the engine from the databases: saved stages first, then every item (content
    without a stage yet enters the starter pool, and that is saved)."""
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            engine.ladder.restore(await service.load_stages(session))
    await _save_by_cell(databases, engine.reload(await load_items(databases), at))


async def _save_by_cell(databases: Databases, changes: Sequence[StageChange]) -> None:
    by_cell: dict[str, list[StageChange]] = defaultdict(list)
    for change in changes:
        by_cell[databases.settings.cell_of_market(change.market)].append(change)
    for cell, cell_changes in by_cell.items():
        await save_changes(databases, cell, cell_changes)


async def warm_up(databases: Databases, engine: FeedEngine, *, at: float, replay: bool) -> None:
    """Load the engine; an empty in-process store also replays the recent event log, so
    counters, histories and trending survive a restart."""
    await load(databases, engine, at=at)
    if not replay:
        return
    since = datetime.fromtimestamp(at, UTC) - timedelta(hours=databases.settings.feed_replay_hours)
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            signals = await service.recent_signals(session, since=since)
        for start in range(0, len(signals), REPLAY_BATCH):
            changes = await engine.observe(signals[start : start + REPLAY_BATCH])
            await save_changes(databases, cell, changes)


async def refresh_forever(databases: Databases, engine: FeedEngine, interval: float) -> None:
    """Reload items and stages now and then: other processes' changes reach this one."""
    while True:
        await asyncio.sleep(interval)
        try:
            await load(databases, engine, at=time.time())
        except Exception:  # the feed keeps serving what it has; the next round tries again
            log.exception("feed refresh failed")
