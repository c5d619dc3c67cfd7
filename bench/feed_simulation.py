"""Feed online quality: simulated shoppers with hidden tastes scroll one market's feed.

No real traffic exists yet, so the feed is judged on a simulated market. The market mirrors
the demo's shape (`shoptide.demo`): the demo's 12 categories with their price ranges, its 7
brands, the demo merchant's shop and 28 small merchants (80% of a merchant's products are
also sold in the market), about 1,100 product cards, the demo's 4 live rooms on air with 5
products each; and, where the demo has only a handful of videos, about one short video per
product (8-60 s, each showing 1-3 of its shop's products, the first one leading). Every
item has a hidden appeal (how good the video or product is), drawn once per seed.

Shoppers (a fixed population, drawn per seed) have hidden tastes the feed never sees:
a preference over categories (Dirichlet, 0.3: two or three favourite aisles), one or two
favourite shops, a usual price and a price sensitivity, a patience and how often they come
back. A session picks a shopper (by activity) and shows them items one at a time, in pages
of ten. For each item the simulator sends an impression, then the shopper reacts:

- interest: P = appeal * (0.15 + 0.85 * match) + 0.25 if the shop is a favourite, where
  match is the category's preference over the favourite category's (1 for the favourite);
  halved for every earlier showing of the item to this shopper;
- time on it: interested, a video is watched to Beta(5, 2) of its length, a card read for
  3-12 s, a live room watched for 20-180 s; otherwise 70% of videos are skipped in under a
  second and the rest watched 5-40%, cards and rooms left within 0.3-3 s;
- when interested: like (0.1 + 0.35 * match), follow the host (0.03, 0.23 for a favourite
  shop), share (0.03), click a product (0.35; 0.6 on a product card), then add to cart
  (0.35 * affordable * (0.5 + 0.5 * match)) and buy (0.6 * affordable), where affordable
  = min(1, (usual price / price) ** sensitivity): dearer than usual, less likely, the more
  so the more price-sensitive the shopper; an item's products are bought once per shopper;
- patience: starts at 5-12 and the session ends when it runs out: an uninteresting item
  costs 1, an interesting one gives back 0.5, a purchase 2 (at most 120 items a session).

Signals go back to the policy after every item (impression, watch with the ms watched or
skip under a second, then the actions), so it learns as traffic flows. The clock advances
by each item's time on screen plus a 0.3 s scroll, and by an exponential gap (mean 20 s)
between sessions. The same population and the same per-session seeds run through:

- random: ten items uniformly over the market's allowed items;
- popularity: the items with the most engagement so far in the market (the engine's own
  interest weights: watch 1, click 1.5, like/share/follow 2, cart 3, purchase 5), not yet
  shown to this viewer; no personalisation, no decay;
- engine: the full FeedEngine (prior ranker, memory features), the viewer's followed hosts
  passed in, and "more like this" (engine.similar) retrained from every viewer's engaged
  items every --retrain sessions, like the background job.

A third of the way in, --uploads new videos (same distribution) are uploaded
(engine.add_item at the simulated time); the report gives the simulated time and sessions
from upload to each one's 100th impression, per policy ("never" when none got there).

    .venv/bin/python bench/feed_simulation.py                 # 6,000 sessions, seed 7
    .venv/bin/python bench/feed_simulation.py --sessions 300 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from common import fmt, progress
from shoptide.demo.live import PRODUCTS_PER_ROOM, ROOMS_PER_MARKET
from shoptide.demo.words import BRANDS, CATEGORIES, DEMO_SHOP_SPEC, MERCHANTS
from shoptide.feed.candidates import EmbeddedItems, SimilarItems
from shoptide.feed.catalog import Catalog
from shoptide.feed.engine import EXPLORE, INTEREST, FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.items import (
    CART,
    CLICK,
    FOLLOW,
    IMPRESSION,
    LIKE,
    PURCHASE,
    SHARE,
    SKIP,
    WATCH,
    FeedItem,
    Signal,
    is_engaged,
)

MARKET = "US"
CURRENCY_MINOR = 100  # USD cents
START = 1_800_000_000.0  # the simulated clock's start, epoch seconds
PAGE = 10
SHOPPERS = 1_000
VIDEOS_PER_PRODUCT = 1.0
MERCHANT_LISTED = 0.8  # the demo lists a merchant's product in another market with p 0.8
SCROLL_S = 0.3
SESSION_GAP_S = 20.0
MAX_ITEMS = 120
COLD_IMPRESSIONS = 100


# --- the market ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    shop_id: int
    category_id: int
    price_minor: int
    appeal: float


@dataclass
class Market:
    items: list[FeedItem]
    appeal: dict[str, float]  # item key -> hidden appeal in [0, 1]
    products_by_shop: dict[int, list[Product]]
    host_of: dict[int, int]  # shop id -> host user id
    next_id: int = 0

    def new_video(self, rng: np.random.Generator, at: float) -> FeedItem:
        """A video by a random shop (what an upload in the middle of the run is)."""
        shop = int(rng.choice(sorted(self.products_by_shop)))
        self.next_id += 1
        item = _video(self.next_id, self.products_by_shop[shop], self.host_of[shop], rng, at)
        self.appeal[item.key] = _appeal(rng)
        return item


def _appeal(rng: np.random.Generator) -> float:
    """Most things are middling, a few are great: Beta(2, 3), mean 0.4."""
    return float(rng.beta(2.0, 3.0))


def _shop_plans(rng: np.random.Generator) -> list[tuple[tuple[int, ...], int]]:
    """(category ids, products sold in the market) per shop, as the demo plans its shops."""
    index = {spec.slug: n + 1 for n, spec in enumerate(CATEGORIES)}
    plans = [(tuple(index[c] for c in cats), n) for _, _, cats, n in BRANDS]
    _, _, cats, n = DEMO_SHOP_SPEC
    plans.append((tuple(index[c] for c in cats), n))
    for _ in range(MERCHANTS):
        cats_ = rng.choice(len(CATEGORIES), int(rng.integers(1, 4)), replace=False) + 1
        listed = rng.binomial(int(rng.integers(20, 37)), MERCHANT_LISTED)
        plans.append((tuple(int(c) for c in cats_), int(listed)))
    return plans


def _video(
    ref: int, products: Sequence[Product], host: int, rng: np.random.Generator, at: float
) -> FeedItem:
    shown = rng.choice(len(products), min(len(products), int(rng.integers(1, 4))), replace=False)
    lead = products[int(shown[0])]
    return FeedItem(
        key=f"video:{ref}",
        kind="video",
        ref_id=ref,
        market=MARKET,
        shop_id=lead.shop_id,
        host_id=host,
        category_id=lead.category_id,
        price_minor=lead.price_minor,
        product_ids=tuple(products[int(i)].id for i in shown),
        published_at=at,
        duration_ms=int(rng.integers(8, 61)) * 1000,
    )


def build_market(seed: int) -> Market:
    rng = np.random.default_rng([seed, 1])
    by_shop: dict[int, list[Product]] = {}
    product_id = 0
    for shop_id, (categories, count) in enumerate(_shop_plans(rng), start=1):
        by_shop[shop_id] = []
        for _ in range(count):
            product_id += 1
            category = int(rng.choice(categories))
            low, high = CATEGORIES[category - 1].usd
            price = (int(rng.integers(low, high + 1)) * 100) + 99
            by_shop[shop_id].append(Product(product_id, shop_id, category, price, _appeal(rng)))
    host_of = {shop: 10_000 + shop for shop in by_shop}
    market = Market([], {}, by_shop, host_of)
    for products in by_shop.values():
        for product in products:
            market.items.append(_card(product, host_of[product.shop_id], rng))
            market.appeal[market.items[-1].key] = product.appeal
    for products in by_shop.values():
        for _ in range(rng.poisson(VIDEOS_PER_PRODUCT * len(products))):
            market.next_id += 1
            shop = products[0].shop_id
            age = float(rng.uniform(0, 30 * 86400))
            item = _video(market.next_id, products, host_of[shop], rng, START - age)
            market.items.append(item)
            market.appeal[item.key] = _appeal(rng)
    for room, shop in enumerate(rng.choice(sorted(by_shop), ROOMS_PER_MARKET, replace=False)):
        market.items.append(_room(room + 1, by_shop[int(shop)], host_of[int(shop)], rng))
        market.appeal[market.items[-1].key] = _appeal(rng)
    return market


def _card(product: Product, host: int, rng: np.random.Generator) -> FeedItem:
    return FeedItem(
        key=f"product:{product.id}",
        kind="product",
        ref_id=product.id,
        market=MARKET,
        shop_id=product.shop_id,
        host_id=host,
        category_id=product.category_id,
        price_minor=product.price_minor,
        product_ids=(product.id,),
        published_at=START - float(rng.uniform(95, 540)) * 86400,
    )


def _room(ref: int, products: Sequence[Product], host: int, rng: np.random.Generator) -> FeedItem:
    shown = sorted(products, key=lambda p: -p.appeal)[:PRODUCTS_PER_ROOM]
    return FeedItem(
        key=f"live:{ref}",
        kind="live",
        ref_id=ref,
        market=MARKET,
        shop_id=shown[0].shop_id,
        host_id=host,
        category_id=shown[0].category_id,
        price_minor=shown[0].price_minor,
        product_ids=tuple(p.id for p in shown),
        published_at=START - 600,
        live=True,
        viewers=int(rng.integers(50, 2000)),
    )


# --- the shoppers ----------------------------------------------------------------------------


@dataclass
class Shopper:
    viewer: str
    taste: np.ndarray  # preference per category id - 1, sums to 1
    shops: frozenset[int]  # favourite shops
    usual_price: float  # minor units
    sensitivity: float  # 0: price doesn't matter .. 2: very price-sensitive
    patience: float
    shown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bought: set[int] = field(default_factory=set)  # product ids
    followed: set[int] = field(default_factory=set)  # host ids


def build_shoppers(seed: int, shop_ids: Sequence[int]) -> tuple[list[Shopper], np.ndarray]:
    """The population and each shopper's share of sessions (lognormal activity)."""
    rng = np.random.default_rng([seed, 2])
    shoppers = []
    for n in range(SHOPPERS):
        favourites = rng.choice(shop_ids, int(rng.integers(1, 3)), replace=False)
        shoppers.append(
            Shopper(
                viewer=f"user:{n + 1}",
                taste=rng.dirichlet(np.full(len(CATEGORIES), 0.3)),
                shops=frozenset(int(s) for s in favourites),
                usual_price=float(np.exp(rng.normal(np.log(3000), 0.6))),
                sensitivity=float(rng.uniform(0.0, 2.0)),
                patience=float(rng.uniform(5.0, 12.0)),
            )
        )
    activity = rng.lognormal(0.0, 1.0, SHOPPERS)
    return shoppers, activity / activity.sum()


@dataclass
class Reaction:
    dwell_s: float
    interested: bool
    signals: list[Signal]
    clicks: int = 0
    purchases: int = 0
    gmv_minor: int = 0


def react(
    shopper: Shopper, item: FeedItem, appeal: float, at: float, stage: int, rng: np.random.Generator
) -> Reaction:
    """What the shopper does with one item, from their hidden taste (see the docstring)."""
    taste = shopper.taste
    match = float(taste[item.category_id - 1] / taste.max()) if item.category_id else 0.0
    favourite = item.shop_id in shopper.shops
    p_interest = appeal * (0.15 + 0.85 * match) + (0.25 if favourite else 0.0)
    p_interest *= 0.5 ** shopper.shown[item.key]
    shopper.shown[item.key] += 1
    interested = rng.random() < min(p_interest, 0.95)
    dwell = _dwell(item, interested, rng)
    done = at + dwell
    signals = [Signal(shopper.viewer, MARKET, item.key, IMPRESSION, at, stage=stage)]
    if dwell < 1.0:
        signals.append(Signal(shopper.viewer, MARKET, item.key, SKIP, done))
    else:
        signals.append(Signal(shopper.viewer, MARKET, item.key, WATCH, done, dwell * 1000))
    reaction = Reaction(dwell, interested, signals)
    if interested:
        _act(shopper, item, match, favourite, done, rng, reaction)
    return reaction


def _dwell(item: FeedItem, interested: bool, rng: np.random.Generator) -> float:
    if item.kind == "video":
        seconds = item.duration_ms / 1000
        if interested:
            return seconds * min(1.0, float(rng.beta(5.0, 2.0)) * 1.1)
        if rng.random() < 0.7:
            return float(rng.uniform(0.3, 1.0))
        return seconds * float(rng.uniform(0.05, 0.4))
    if item.kind == "live":
        return float(rng.uniform(20, 180) if interested else rng.uniform(0.3, 3.0))
    return float(rng.uniform(3, 12) if interested else rng.uniform(0.3, 3.0))


def _act(
    shopper: Shopper,
    item: FeedItem,
    match: float,
    favourite: bool,
    at: float,
    rng: np.random.Generator,
    reaction: Reaction,
) -> None:
    def emit(action: str, value: float = 0.0) -> None:
        reaction.signals.append(Signal(shopper.viewer, MARKET, item.key, action, at, value))

    if rng.random() < 0.1 + 0.35 * match:
        emit(LIKE)
    if item.host_id not in shopper.followed and rng.random() < (0.23 if favourite else 0.03):
        shopper.followed.add(item.host_id)
        emit(FOLLOW)
    if rng.random() < 0.03:
        emit(SHARE)
    if rng.random() >= (0.6 if item.kind == "product" else 0.35):
        return
    emit(CLICK)
    reaction.clicks += 1
    lead = item.product_ids[0]
    affordable = min(1.0, (shopper.usual_price / max(item.price_minor, 1)) ** shopper.sensitivity)
    if lead in shopper.bought or rng.random() >= 0.35 * affordable * (0.5 + 0.5 * match):
        return
    emit(CART)
    if rng.random() < 0.6 * affordable:
        shopper.bought.add(lead)
        emit(PURCHASE, item.price_minor)
        reaction.purchases += 1
        reaction.gmv_minor += item.price_minor


# --- the policies ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    item: FeedItem
    stage: int = -1  # its cold-start stage when served (-1: the policy has no ladder)
    source: str = ""  # the engine's candidate source


class Policy(Protocol):
    name: str

    def add(self, item: FeedItem, at: float) -> None: ...

    async def page(self, shopper: Shopper, at: float) -> list[Shown]:
        """Ten items, each with its cold-start stage (-1 when the policy has none)."""

    async def observe(self, signals: Sequence[Signal]) -> None: ...

    def session_done(self, sessions: int) -> None: ...


class RandomPolicy:
    name = "random"

    def __init__(self, items: Sequence[FeedItem], seed: int) -> None:
        self.items = list(items)
        self.rng = np.random.default_rng([seed, 3])

    def add(self, item: FeedItem, at: float) -> None:
        self.items.append(item)

    async def page(self, shopper: Shopper, at: float) -> list[Shown]:
        picked = self.rng.choice(len(self.items), PAGE, replace=False)
        return [Shown(self.items[int(i)]) for i in picked]

    async def observe(self, signals: Sequence[Signal]) -> None:
        return None

    def session_done(self, sessions: int) -> None:
        return None


class PopularityPolicy:
    """Most engagement so far (the engine's interest weights), not yet shown to the viewer."""

    name = "popularity"

    def __init__(self, items: Sequence[FeedItem], seed: int) -> None:
        self.items: list[FeedItem] = []
        self.index: dict[str, int] = {}
        self.score = np.zeros(0)
        self.tiebreak = np.random.default_rng([seed, 4]).random(100_000) * 1e-6
        self.shown: dict[str, set[int]] = defaultdict(set)
        for item in items:
            self.add(item, START)

    def add(self, item: FeedItem, at: float) -> None:
        self.index[item.key] = len(self.items)
        self.items.append(item)
        self.score = np.append(self.score, 0.0)

    async def page(self, shopper: Shopper, at: float) -> list[Shown]:
        score = self.score + self.tiebreak[: len(self.score)]
        shown = self.shown[shopper.viewer]
        if shown:
            score[list(shown)] = -np.inf
        best = np.argpartition(-score, PAGE)[:PAGE]
        best = best[np.argsort(-score[best])]
        return [Shown(self.items[int(i)]) for i in best]

    async def observe(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            i = self.index[signal.item_key]
            if signal.action == IMPRESSION:
                self.shown[signal.viewer].add(i)
            elif is_engaged(signal.action, signal.value, self.items[i].duration_ms):
                self.score[i] += INTEREST.get(signal.action, 1.0)

    def session_done(self, sessions: int) -> None:
        return None


class EnginePolicy:
    """The FeedEngine, with "more like this" retrained every `retrain` sessions."""

    name = "engine"

    def __init__(self, items: Sequence[FeedItem], seed: int, retrain: int) -> None:
        # What a process starts with: the catalog loaded, content already published past
        # the ladder (no stages saved for it: open); uploads from now on enter the ladder.
        rng = np.random.default_rng([seed, 5])
        self.engine = FeedEngine(MemoryFeatures(), Catalog(items), rng=rng)
        self.durations = {item.key: item.duration_ms for item in items}
        self.retrain = retrain
        self.engaged: dict[str, list[str]] = defaultdict(list)  # viewer -> keys, in order
        self.followed: dict[str, frozenset[int]] = {}
        self.retrain_s = 0.0

    def add(self, item: FeedItem, at: float) -> None:
        self.engine.add_item(item, at)
        self.durations[item.key] = item.duration_ms

    async def page(self, shopper: Shopper, at: float) -> list[Shown]:
        followed = frozenset(shopper.followed)
        served = await self.engine.page(shopper.viewer, MARKET, at=at, followed=followed)
        return [Shown(entry.item, entry.stage, entry.source) for entry in served]

    async def observe(self, signals: Sequence[Signal]) -> None:
        await self.engine.observe(signals)
        for signal in signals:
            if signal.action != IMPRESSION and is_engaged(
                signal.action, signal.value, self.durations[signal.item_key]
            ):
                keys = self.engaged[signal.viewer]
                if not keys or keys[-1] != signal.item_key:
                    keys.append(signal.item_key)

    def session_done(self, sessions: int) -> None:
        if self.retrain and sessions % self.retrain == 0:
            started = time.perf_counter()
            sequences = list(self.engaged.values())
            self.engine.similar[MARKET] = SimilarItems.fit(sequences)
            if (embedded := EmbeddedItems.fit(sequences)) is not None:
                self.engine.embedded[MARKET] = embedded
            self.retrain_s += time.perf_counter() - started


# --- running sessions --------------------------------------------------------------------------


@dataclass
class Session:
    watch_s: float = 0.0
    impressions: int = 0
    cards: int = 0  # impressions of product cards
    explored: int = 0  # impressions in the engine's exploration slots
    clicks: int = 0
    purchases: int = 0
    gmv_minor: int = 0


@dataclass
class ColdStart:
    uploaded_at: float
    uploaded_session: int
    keys: set[str]
    impressions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reached: dict[str, tuple[float, int]] = field(default_factory=dict)  # key -> (s, sessions)

    def count(self, key: str, at: float, session: int) -> None:
        if key not in self.keys or key in self.reached:
            return
        self.impressions[key] += 1
        if self.impressions[key] >= COLD_IMPRESSIONS:
            self.reached[key] = (at - self.uploaded_at, session - self.uploaded_session)


@dataclass
class Outcome:
    policy: str
    sessions: list[Session]
    cold: ColdStart | None
    wall_s: float
    page_ms: list[float]


async def run_session(
    policy: Policy,
    shopper: Shopper,
    market: Market,
    at: float,
    rng: np.random.Generator,
    cold: ColdStart | None,
    number: int,
    page_ms: list[float],
) -> tuple[Session, float]:
    session = Session()
    patience = shopper.patience
    while patience > 0 and session.impressions < MAX_ITEMS:
        started = time.perf_counter()
        page = await policy.page(shopper, at)
        page_ms.append((time.perf_counter() - started) * 1000)
        if not page:
            break
        for shown in page:
            item = shown.item
            reaction = react(shopper, item, market.appeal[item.key], at, shown.stage, rng)
            await policy.observe(reaction.signals)
            if cold is not None:
                cold.count(item.key, at, number)
            session.impressions += 1
            session.cards += item.kind == "product"
            session.explored += shown.source == EXPLORE
            session.watch_s += reaction.dwell_s
            session.clicks += reaction.clicks
            session.purchases += reaction.purchases
            session.gmv_minor += reaction.gmv_minor
            at += reaction.dwell_s + SCROLL_S
            patience += (0.5 if reaction.interested else -1.0) + 2.0 * reaction.purchases
            if patience <= 0 or session.impressions >= MAX_ITEMS:
                break
    return session, at


async def simulate(policy: Policy, market: Market, args: argparse.Namespace) -> Outcome:
    shoppers, activity = build_shoppers(args.seed, sorted(market.products_by_shop))
    arrivals = np.random.default_rng([args.seed, 6])
    uploads = np.random.default_rng([args.seed, 7])
    at = START
    sessions: list[Session] = []
    page_ms: list[float] = []
    cold: ColdStart | None = None
    started = time.perf_counter()
    for number in range(args.sessions):
        if number == args.sessions // 3 and args.uploads:
            new = [market.new_video(uploads, at) for _ in range(args.uploads)]
            for item in new:
                policy.add(item, at)
            cold = ColdStart(at, number, {item.key for item in new})
        shopper = shoppers[int(arrivals.choice(SHOPPERS, p=activity))]
        rng = np.random.default_rng([args.seed, 8, number])
        session, at = await run_session(policy, shopper, market, at, rng, cold, number, page_ms)
        sessions.append(session)
        policy.session_done(number + 1)
        at += float(arrivals.exponential(SESSION_GAP_S))
        if (number + 1) % max(1, args.sessions // 5) == 0:
            progress(
                f"  {policy.name}: {number + 1:,} sessions, "
                f"{time.perf_counter() - started:.0f} s, simulated {(at - START) / 3600:.1f} h"
            )
    return Outcome(policy.name, sessions, cold, time.perf_counter() - started, page_ms)


# --- the report ----------------------------------------------------------------------------------


def summarise(outcome: Outcome, uploads: int) -> dict[str, Any]:
    s = outcome.sessions
    impressions = sum(x.impressions for x in s)
    figures: dict[str, Any] = {
        "sessions": len(s),
        "items per session (mean)": statistics.fmean(x.impressions for x in s),
        "watch s per session (mean)": statistics.fmean(x.watch_s for x in s),
        "watch s per session (median)": statistics.median(x.watch_s for x in s),
        "click-through rate": sum(x.clicks for x in s) / impressions if impressions else 0.0,
        "purchases per session": statistics.fmean(x.purchases for x in s),
        "GMV per session, USD": statistics.fmean(x.gmv_minor for x in s) / CURRENCY_MINOR,
        "product cards, share of impressions": _share(sum(x.cards for x in s), impressions),
        "exploration slots, share": _share(sum(x.explored for x in s), impressions),
    }
    figures.update(_cold_figures(outcome.cold, uploads))
    figures["page time p50, ms"] = float(np.percentile(outcome.page_ms, 50))
    figures["wall time, s"] = outcome.wall_s
    return figures


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _cold_figures(cold: ColdStart | None, uploads: int) -> dict[str, Any]:
    if cold is None:
        return {}
    reached = list(cold.reached.values())
    label = f"new videos to {COLD_IMPRESSIONS} impressions"
    if not reached:
        return {
            f"{label}: reached": f"0 of {uploads}",
            f"{label}: median minutes": "never",
            f"{label}: median sessions": "never",
        }
    return {
        f"{label}: reached": f"{len(reached)} of {uploads}",
        f"{label}: median minutes": statistics.median(s for s, _ in reached) / 60,
        f"{label}: median sessions": float(statistics.median(n for _, n in reached)),
    }


RATIO_ROWS = (
    "watch s per session (mean)",
    "click-through rate",
    "purchases per session",
    "GMV per session, USD",
)


def print_table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    names = list(results)
    rows = list(dict.fromkeys(row for figures in results.values() for row in figures))
    width = max(len(r) for r in rows) + 2
    print(
        f"\nfeed simulation: market {MARKET} shaped like the demo's, {args.sessions:,} sessions "
        f"of {SHOPPERS:,} simulated shoppers, seed {args.seed}, similar-items retrained every "
        f"{args.retrain} sessions, {args.uploads} uploads at session {args.sessions // 3:,}"
    )
    pairs = (("engine", "popularity"), ("engine", "random"))
    ratios = [(a, b) for a, b in pairs if {a, b} <= set(names)]
    print(
        f"{'':<{width}}"
        + "".join(f"{n:>13}" for n in names)
        + "".join(f"{a[:3] + '/' + b[:3]:>10}" for a, b in ratios)
    )
    for row in rows:
        cells = [results[n].get(row, "") for n in names]
        line = f"{row:<{width}}" + "".join(f"{_cell(c):>13}" for c in cells)
        if row in RATIO_ROWS:
            for a, b in ratios:
                line += f"{results[a][row] / results[b][row]:>9.2f}x" if results[b][row] else ""
        print(line)


def _cell(value: Any) -> str:
    if isinstance(value, float) and abs(value) < 1:
        return f"{value:.3f}"
    return fmt(value) if isinstance(value, float | int) else str(value)


async def main(args: argparse.Namespace) -> int:
    chosen = args.policies
    results: dict[str, dict[str, Any]] = {}
    market_size = len(build_market(args.seed).items)
    progress(f"market {MARKET}: {market_size:,} items; {args.sessions:,} sessions per policy")
    for name in chosen:
        market = build_market(args.seed)
        items = market.items
        policy: Policy
        if name == "random":
            policy = RandomPolicy(items, args.seed)
        elif name == "popularity":
            policy = PopularityPolicy(items, args.seed)
        else:
            policy = EnginePolicy(items, args.seed, args.retrain)
        progress(f"{name} ...")
        results[name] = summarise(await simulate(policy, market, args), args.uploads)
    if args.json:
        print(json.dumps({"args": vars(args), "items": market_size, "results": results}))
    else:
        print_table(results, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--retrain", type=int, default=100, help="sessions between retrains")
    parser.add_argument("--uploads", type=int, default=20, help="new videos partway through")
    parser.add_argument(
        "--policies", nargs="+", default=["random", "popularity", "engine"],
        choices=("random", "popularity", "engine"),
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object instead")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
