"""The merchant's report over the feed's event log: how each of the shop's items did in a
market's feed, beside the market's median item. Functions take the cell's session."""

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Float, and_, case, cast, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.feed.items import (
    CART,
    CLICK,
    ENGAGED_COMPLETION,
    ENGAGING,
    IMPRESSION,
    PURCHASE,
    WATCH,
)
from shoptide.feed.ladder import StageChange
from shoptide.feed.models import FeedEvent, ItemStage
from shoptide.feed.service import stage_change

# an item's rates are compared with the market's median over items shown at least this often
REPORT_MIN_IMPRESSIONS = 20


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
        row.item_key: stage_change(row)
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
