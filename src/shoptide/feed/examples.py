"""Training examples from the feed's event log: every impression carries the ranker's
features as they were when the item was shown; what the viewer did next gives its labels
(engaged on that page, bought within PURCHASE_WITHIN_S). The same rows give each market's
engaged sequences, which "more like this" learns from."""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.feed.candidates import MIN_SEQUENCE
from shoptide.feed.items import ENGAGING, IMPRESSION, PURCHASE, WATCH, FeedItem, is_engaged
from shoptide.feed.models import FeedEvent
from shoptide.feed.ranking import COLUMN, FEATURES

PURCHASE_WITHIN_S = 24 * 3600.0  # a purchase this soon after an impression is its sale
HELD_OUT = 0.2  # the newest share of examples both rankers are judged on
# (market, item key) -> length in ms: keys repeat across cells, and so across markets
Durations = Mapping[tuple[str, str], int]


class Shown(NamedTuple):
    """An impression row: what was shown to whom, on which page, with which features."""

    at: float  # epoch seconds
    market: str
    viewer: str
    item_key: str
    page_id: str
    features: list[float] | None


class Acted(NamedTuple):
    """A row that may label an impression: an engaging action, a watch or a purchase."""

    at: float
    market: str
    viewer: str
    item_key: str
    page_id: str
    action: str
    value: float


@dataclass(frozen=True)
class Examples:
    """Labelled impressions, oldest first (row i of each array is one example)."""

    features: np.ndarray  # (n, len(FEATURES))
    engaged: np.ndarray  # 1.0 where the viewer engaged with the item on that page
    bought: np.ndarray  # 1.0 where the viewer bought it within PURCHASE_WITHIN_S
    prices: np.ndarray  # the item's price in minor units (0: none), for the expected value
    at: np.ndarray  # epoch seconds of the impression

    def __len__(self) -> int:
        return len(self.at)

    def split(self, held_out: float = HELD_OUT) -> tuple["Examples", "Examples"]:
        """(older, newest) by time: the newest `held_out` share is kept for judging."""
        cut = len(self) - round(len(self) * held_out)
        return self._rows(slice(0, cut)), self._rows(slice(cut, None))

    def _rows(self, rows: slice) -> "Examples":
        return Examples(
            self.features[rows],
            self.engaged[rows],
            self.bought[rows],
            self.prices[rows],
            self.at[rows],
        )


@dataclass(frozen=True)
class TrainingData:
    examples: Examples
    # market -> each viewer's engaged item keys, in the order first engaged
    sequences: dict[str, list[list[str]]]


def _bought_within(times: Sequence[float], at: float) -> bool:
    """Some purchase time (sorted) falls in [at, at + PURCHASE_WITHIN_S]."""
    first = bisect_left(times, at)
    return first < len(times) and times[first] <= at + PURCHASE_WITHIN_S


def build_examples(
    shown: Iterable[Shown], acted: Iterable[Acted], durations: Durations
) -> Examples:
    """Label each impression with logged features; examples come out oldest first.

    engaged: the same viewer engaged with the same item on the same page (an impression
    without a page id can't be matched, so it counts as not engaged); bought: the same
    viewer bought the same item within PURCHASE_WITHIN_S after it was shown (purchases are
    logged on the order's page, so the page can't be matched there)."""
    engaged_on: set[tuple[str, str, str, str]] = set()
    bought_at: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for row in acted:
        if row.action == PURCHASE:
            bought_at[(row.market, row.viewer, row.item_key)].append(row.at)
        duration = durations.get((row.market, row.item_key), 0)
        if row.page_id and is_engaged(row.action, row.value, duration):
            engaged_on.add((row.market, row.viewer, row.page_id, row.item_key))
    for times in bought_at.values():
        times.sort()
    # features logged by an older ranker (other columns) can't train this one
    logged = sorted(
        (row for row in shown if row.features is not None and len(row.features) == len(FEATURES)),
        key=lambda row: row.at,
    )
    features = np.array([row.features for row in logged], dtype=np.float64).reshape(
        len(logged), len(FEATURES)
    )
    engaged = [
        bool(row.page_id) and (row.market, row.viewer, row.page_id, row.item_key) in engaged_on
        for row in logged
    ]
    bought = [
        _bought_within(bought_at.get((row.market, row.viewer, row.item_key), ()), row.at)
        for row in logged
    ]
    log_price = features[:, COLUMN["log_price"]]
    # log_price is log(max(price, 1)): 0 means the item has no price, not a price of 1
    prices = np.where(log_price > 0, np.exp(log_price), 0.0)
    return Examples(
        features=features,
        engaged=np.array(engaged, dtype=np.float64),
        bought=np.array(bought, dtype=np.float64),
        prices=prices,
        at=np.array([row.at for row in logged], dtype=np.float64),
    )


def engaged_sequences(acted: Iterable[Acted], durations: Durations) -> dict[str, list[list[str]]]:
    """Per market, each viewer's engaged items in the order first engaged (a like then a
    purchase of one item is one step); viewers with fewer than MIN_SEQUENCE items teach
    nothing and are left out."""
    per_viewer: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for row in sorted(acted, key=lambda row: row.at):
        if is_engaged(row.action, row.value, durations.get((row.market, row.item_key), 0)):
            per_viewer[(row.market, row.viewer)].setdefault(row.item_key, None)
    sequences: dict[str, list[list[str]]] = defaultdict(list)
    for (market, _viewer), keys in per_viewer.items():
        if len(keys) >= MIN_SEQUENCE:
            sequences[market].append(list(keys))
    return dict(sequences)


async def read_cell(session: AsyncSession, since: datetime) -> tuple[list[Shown], list[Acted]]:
    """Two SELECTs: the window's impressions, and the rows that may label them."""
    shown = await session.execute(
        select(
            FeedEvent.at,
            FeedEvent.market_code,
            FeedEvent.viewer,
            FeedEvent.item_key,
            FeedEvent.page_id,
            FeedEvent.features,
        )
        .where(FeedEvent.action == IMPRESSION, FeedEvent.at >= since)
        .order_by(FeedEvent.at, FeedEvent.id)
    )
    acted = await session.execute(
        select(
            FeedEvent.at,
            FeedEvent.market_code,
            FeedEvent.viewer,
            FeedEvent.item_key,
            FeedEvent.page_id,
            FeedEvent.action,
            FeedEvent.value,
        )
        .where(FeedEvent.action.in_((WATCH, *ENGAGING)), FeedEvent.at >= since)
        .order_by(FeedEvent.at, FeedEvent.id)
    )
    return (
        [Shown(at.timestamp(), m, v, key, page, f) for at, m, v, key, page, f in shown],
        [Acted(at.timestamp(), m, v, key, page, a, x) for at, m, v, key, page, a, x in acted],
    )


def durations_of(items: Iterable[FeedItem]) -> Durations:
    """(market, item key) -> video length in ms, for the items that have one."""
    return {(item.market, item.key): item.duration_ms for item in items if item.duration_ms > 0}
