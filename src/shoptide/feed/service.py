"""The feed's persistence: the event log, follows and items' cold-start stages (in the
market's cell), the merchant's report over the log, and the items the feed may rank, read
from content, live, catalog, shops and inventory through their services.

The ranking engine itself keeps everything in memory (feed.engine); this module is what it
writes through and what it rebuilds from when a process starts.
"""

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Float, and_, case, cast, delete, func, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.catalog import service as catalog_service
from shoptide.content import service as content_service
from shoptide.db import Databases, upsert
from shoptide.errors import NotFound
from shoptide.feed.items import (
    CART,
    CLICK,
    ENGAGED_COMPLETION,
    ENGAGING,
    IMPRESSION,
    PURCHASE,
    WATCH,
    FeedItem,
    Signal,
    item_key,
    parse_key,
)
from shoptide.feed.ladder import StageChange
from shoptide.feed.models import FeedEvent, Follow, ItemStage
from shoptide.inventory import service as inventory_service
from shoptide.live import rooms as live_rooms
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL
from shoptide.shops import service as shops_service

# an item's rates are compared with the market's median over items shown at least this often
REPORT_MIN_IMPRESSIONS = 20
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


def _stage_change(row: ItemStage) -> StageChange:
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
    return [_stage_change(row) for row in rows]


# --- the merchant's report ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rates:
    click: float  # clicks / impressions
    completion: float  # completed watches / impressions
    conversion: float  # purchases / impressions


@dataclass(frozen=True, slots=True)
class ItemStats:
    item_key: str
    impressions: int
    engaged: int  # ENGAGING actions, plus watches of at least ENGAGED_COMPLETION
    clicks: int
    carts: int
    purchases: int
    purchase_minor: int  # purchases' amount, in the market's minor units
    completed_watches: int
    rates: Rates
    stage: StageChange | None  # None: the ladder never placed it


@dataclass(frozen=True, slots=True)
class ItemReport:
    items: list[ItemStats]  # in the order asked
    median: Rates  # over the market's items with at least REPORT_MIN_IMPRESSIONS
    peers: int  # how many items the median is over


@dataclass(slots=True)
class _Tally:
    counts: dict[str, int]
    purchase_value: float = 0.0
    completed: int = 0

    def count(self, action: str) -> int:
        return self.counts.get(action, 0)

    def rates(self) -> Rates:
        shown = self.count(IMPRESSION)
        if not shown:
            return Rates(0.0, 0.0, 0.0)
        return Rates(
            click=self.count(CLICK) / shown,
            completion=self.completed / shown,
            conversion=self.count(PURCHASE) / shown,
        )


async def _tallies(
    session: AsyncSession, *, market: str, durations: Mapping[str, int]
) -> dict[str, _Tally]:
    """Per item of the market: rows per action, purchases' amount and completed watches,
    counted in one GROUP BY (a watch completes at ENGAGED_COMPLETION of its duration)."""
    thresholds = {key: ENGAGED_COMPLETION * ms for key, ms in durations.items() if ms > 0}
    # an item without a known duration has a NULL threshold: none of its watches complete
    threshold = case(thresholds, value=FeedEvent.item_key, else_=None) if thresholds else null()
    completed = case(
        (and_(FeedEvent.action == WATCH, FeedEvent.value >= cast(threshold, Float)), 1),
        else_=0,
    )
    rows = await session.execute(
        select(
            FeedEvent.item_key,
            FeedEvent.action,
            func.count(),
            func.coalesce(func.sum(FeedEvent.value), 0.0),
            func.coalesce(func.sum(completed), 0),
        )
        .where(FeedEvent.market_code == market)
        .group_by(FeedEvent.item_key, FeedEvent.action)
    )
    tallies: dict[str, _Tally] = {}
    for key, action, count, total, done in rows:
        tally = tallies.setdefault(key, _Tally(counts={}))
        tally.counts[action] = count
        tally.completed += int(done)
        if action == PURCHASE:
            tally.purchase_value = float(total)
    return tallies


def _median(values: Iterable[float]) -> float:
    found = list(values)
    return statistics.median(found) if found else 0.0


async def item_report(
    session: AsyncSession,
    *,
    item_keys: Sequence[str],
    market: str,
    durations: Mapping[str, int],
) -> ItemReport:
    """How the items did in the market's feed, beside the market's median item.

    `durations` (item key -> video length in ms) decides which watches completed; pass the
    market's videos, not only the asked ones, or their peers' completion reads as none. The
    completion median is over videos (items with a duration) only."""
    tallies = await _tallies(session, market=market, durations=durations)
    stages = {
        row.item_key: _stage_change(row)
        for row in await session.scalars(
            select(ItemStage).where(ItemStage.item_key.in_(list(item_keys)))
        )
    }
    items = []
    for key in item_keys:
        tally = tallies.get(key, _Tally(counts={}))
        items.append(
            ItemStats(
                item_key=key,
                impressions=tally.count(IMPRESSION),
                engaged=sum(tally.count(action) for action in ENGAGING) + tally.completed,
                clicks=tally.count(CLICK),
                carts=tally.count(CART),
                purchases=tally.count(PURCHASE),
                purchase_minor=round(tally.purchase_value),
                completed_watches=tally.completed,
                rates=tally.rates(),
                stage=stages.get(key),
            )
        )
    peers = {
        key: tally.rates()
        for key, tally in tallies.items()
        if tally.count(IMPRESSION) >= REPORT_MIN_IMPRESSIONS
    }
    median = Rates(
        click=_median(rates.click for rates in peers.values()),
        completion=_median(
            rates.completion for key, rates in peers.items() if durations.get(key, 0) > 0
        ),
        conversion=_median(rates.conversion for rates in peers.values()),
    )
    return ItemReport(items=items, median=median, peers=len(peers))


# --- the items the feed may rank ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wanted:
    """Which items to load: None loads all of a kind, a list only those (empty: none)."""

    video_ids: list[int] | None = None
    room_ids: list[int] | None = None
    product_ids: list[int] | None = None

    @classmethod
    def one(cls, key: str) -> "_Wanted":
        kind, ref = parse_key(key)
        nothing: list[int] = []
        return cls(
            video_ids=[ref] if kind == "video" else nothing,
            room_ids=[ref] if kind == "live" else nothing,
            product_ids=[ref] if kind == "product" else nothing,
        )


def _lead(
    product_ids: Iterable[int], on_sale: Mapping[int, catalog_service.MarketProduct]
) -> tuple[tuple[int, ...], int, int]:
    """The tagged products still on sale (in tag order), the first one's category and price."""
    selling = tuple(pid for pid in dict.fromkeys(product_ids) if pid in on_sale)
    if not selling:
        return (), 0, 0
    first = on_sale[selling[0]]
    return selling, first.category_id, first.price_minor


def _sold_out(
    product_ids: Sequence[int],
    on_sale: Mapping[int, catalog_service.MarketProduct],
    stocked: set[int],
) -> bool:
    """Every product has no unit on the shelf (an item selling nothing is not sold out)."""
    return bool(product_ids) and not any(
        variant in stocked for pid in product_ids for variant in on_sale[pid].variant_ids
    )


class _Tagged(Protocol):
    product_id: int


class _Hosted(Protocol):
    """A video or a live room, as far as the feed reads them."""

    id: int
    shop_id: int | None
    host_user_id: int

    @property
    def products(self) -> Sequence[_Tagged]: ...


def _content_item(
    kind: str,
    row: _Hosted,
    market: str,
    on_sale: Mapping[int, catalog_service.MarketProduct],
    stocked: set[int],
    *,
    published_at: float,
    title: str,
    extra: dict[str, str],
    duration_ms: int = 0,
    live: bool = False,
) -> FeedItem:
    """A video or a room: its lead product's category and price, sold out or not."""
    product_ids, category_id, price_minor = _lead((tag.product_id for tag in row.products), on_sale)
    return FeedItem(
        key=item_key(kind, row.id),
        kind=kind,
        ref_id=row.id,
        market=market,
        shop_id=row.shop_id or 0,
        host_id=row.host_user_id,
        category_id=category_id,
        price_minor=price_minor,
        product_ids=product_ids,
        published_at=published_at,
        duration_ms=duration_ms,
        live=live,
        sold_out=_sold_out(product_ids, on_sale, stocked),
        title=title,
        extra=extra,
    )


async def _load_market(databases: Databases, market: str, wanted: _Wanted) -> list[FeedItem]:
    """One market's items in a fixed number of queries: the global session first (and held),
    then the market's cell, as every unit of work spanning both takes them."""
    cell = databases.settings.cell_of_market(market)
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()
        async with databases.session(cell, write=False) as session:
            videos = await content_service.ready_in_market(
                session, market=market, video_ids=wanted.video_ids
            )
            rooms = await live_rooms.live_now(session, market=market, room_ids=wanted.room_ids)
            tagged = [tag.product_id for video in videos for tag in video.products] + [
                tag.product_id for room in rooms for tag in room.products
            ]
            everything = wanted.video_ids is None and wanted.room_ids is None
            on_sale = await catalog_service.on_sale_in(
                global_,
                market=market,
                product_ids=None if everything else [*tagged, *(wanted.product_ids or [])],
            )
            cards = (
                on_sale
                if wanted.product_ids is None
                else {pid: on_sale[pid] for pid in wanted.product_ids if pid in on_sale}
            )
            owners = await shops_service.owners(
                global_, [product.shop_id for product in cards.values()]
            )
            stocked = await inventory_service.in_stock(
                session,
                market=market,
                variant_ids=None
                if everything
                else [v for product in on_sale.values() for v in product.variant_ids],
            )
    items = [
        _content_item(
            "video",
            video,
            market,
            on_sale,
            stocked,
            published_at=(video.published_at or video.created_at).timestamp(),
            title=video.caption,
            extra={"playlist": video.playlist_path, "poster": video.poster_path},
            duration_ms=video.duration_ms,
        )
        for video in videos
    ]
    items += [
        _content_item(
            "live",
            room,
            market,
            on_sale,
            stocked,
            published_at=(room.started_at or room.scheduled_at).timestamp(),
            title=room.title,
            extra={"public_name": room.public_name, "cover": room.cover_path},
            live=True,
        )
        for room in rooms
    ]
    for product in cards.values():
        items.append(
            FeedItem(
                key=item_key("product", product.id),
                kind="product",
                ref_id=product.id,
                market=market,
                shop_id=product.shop_id,
                host_id=owners.get(product.shop_id, 0),
                category_id=product.category_id,
                price_minor=product.price_minor,
                product_ids=(product.id,),
                published_at=product.created_at.timestamp(),
                sold_out=_sold_out((product.id,), on_sale, stocked),
                title=product.title,
                extra={"image": product.image or ""},
            )
        )
    return items


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
        items += await _load_market(databases, code, _Wanted())
    return items


async def load_item(databases: Databases, key: str, *, market: str) -> FeedItem | None:
    """One item as load_items would give it; None when the feed may not rank it (a video
    not ready, a room not on air, a product unpublished or not priced in the market)."""
    found = await _load_market(databases, market.upper(), _Wanted.one(key))
    return found[0] if found else None
