"""The For You engine: candidates from several sources, ranked by expected value, business
rules applied, exploration slots for new content; and every signal folded into the
real-time features at once.

One page:
1. candidates: the viewer's "more like this" (learned similarity over their recent history),
   hosts they follow, live rooms on air, trending now, popular this week across categories
   (a new viewer's first feed), and the newest items while a market has little history;
2. features for each candidate from the real-time counters and the viewer's history;
3. the ranker's P(engage) and P(purchase), valued in the market's money;
4. the rules (market, sold out, seen, shops spread out);
5. exploration slots given to content climbing the cold-start ladder.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from shoptide.feed import ranking, rules
from shoptide.feed.candidates import EmbeddedItems, Shelves, SimilarItems
from shoptide.feed.catalog import Catalog
from shoptide.feed.features import FeatureStore
from shoptide.feed.items import (
    CART,
    CLICK,
    FOLLOW,
    IMPRESSION,
    LIKE,
    PURCHASE,
    SHARE,
    WATCH,
    FeedItem,
    Signal,
    is_engaged,
    item_key,
)
from shoptide.feed.ladder import Ladder, StageChange
from shoptide.feed.ranking import FEATURES, HORIZONS, SCOPES, SIGNALS, Counters, PriorRanker, Ranker

PAGE_SIZE = 10
EXPLORE = "explore"  # the source of items given exploration slots by the cold-start ladder
EXPLORE_POSITIONS = (2, 6)  # where climbing content goes on a page of ten (0-based)
HISTORY = 50  # recent interactions that shape a page
PER_SOURCE = 60  # most candidates taken from one source
CARDS = 20  # product cards of recently engaged items (each costs a ranking)
EMBEDDED = 20  # items liked by the same people
POPULAR_PER_CATEGORY = 6
# How much each kind of interest says about a viewer's taste (history weights), and how
# much it heats an item on the trending board.
INTEREST = {WATCH: 1.0, CLICK: 1.5, LIKE: 2.0, SHARE: 2.0, FOLLOW: 2.0, CART: 3.0, PURCHASE: 5.0}


Candidates = dict[str, tuple[FeedItem, str, float]]  # key -> (item, source, similarity)


@dataclass(slots=True)
class Served:
    item: FeedItem
    source: str  # the candidate source that brought it
    stage: int  # its cold-start stage when served
    score: float  # expected value in the market's minor units
    features: list[float]  # as the ranker saw them (logged for training)


@dataclass(slots=True)
class Profile:
    """What the recent history says about a viewer's taste."""

    categories: dict[int, float]
    shops: dict[int, float]
    hosts: dict[int, float]
    log_price: float  # typical log price of what they engaged with (0: unknown)
    interactions: int
    recent_keys: list[str]


class FeedEngine:
    def __init__(
        self,
        features: FeatureStore,
        catalog: Catalog | None = None,
        *,
        ranker: Ranker | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.features = features
        self.catalog = catalog or Catalog()
        self.ladder = Ladder(features, rng)
        self.ranker: Ranker = ranker or PriorRanker()
        # per market, once trained: "more like this" and "liked by the same people"
        self.similar: dict[str, SimilarItems] = {}
        self.embedded: dict[str, EmbeddedItems] = {}
        self.shelves = Shelves(self.catalog)

    # --- items coming and going ----------------------------------------------------------

    def reload(self, items: Iterable[FeedItem], at: float) -> list[StageChange]:
        """Swap in a fresh catalog (what the databases hold now: items taken down are gone,
        stock and rooms' air status current); content never seen before enters the ladder."""
        self.catalog = Catalog()
        self.shelves = Shelves(self.catalog)
        entered = [change for item in items if (change := self.add_item(item, at)) is not None]
        self.ladder.explore_only(lambda market, key: self.catalog.get(market, key) is not None)
        return entered

    def add_item(self, item: FeedItem, at: float) -> StageChange | None:
        """A new or changed item; new content enters the cold-start ladder."""
        self.catalog.upsert(item)
        self.shelves.invalidate(item.market)
        return self.ladder.enter(item, at)

    # --- serving -----------------------------------------------------------------------------

    async def page(
        self,
        viewer: str,
        market: str,
        *,
        at: float,
        size: int = PAGE_SIZE,
        followed: frozenset[int] = frozenset(),
    ) -> list[Served]:
        profile = _profile(await self.features.recent(viewer, HISTORY), self.catalog, market)
        found = await self._explorable(viewer, market, at)
        found.update(await self._candidates(market, profile, followed, at, skip=found))
        ranked = await self._rank(viewer, market, found, profile, followed, at)
        exploring = [entry for entry in ranked if entry.source == EXPLORE]
        rest = rules.arrange(
            [entry for entry in ranked if entry.source != EXPLORE],
            market=market,
            size=size,
            variety=rules.VARIETY_KNOWN_VIEWER
            if profile.interactions
            else rules.VARIETY_NEW_VIEWER,
        )
        page = _interleave(rest, exploring, size)
        return [
            Served(
                entry.item,
                entry.source,
                self.ladder.stage_of(market, entry.item.key),
                entry.score,
                entry.features.tolist(),
            )
            for entry in page
        ]

    async def _candidates(
        self,
        market: str,
        profile: Profile,
        followed: frozenset[int],
        at: float,
        skip: Mapping[str, object],
    ) -> Candidates:
        """key -> (item, source, similarity score); the first source to name an item keeps it."""
        found: Candidates = {}

        def take(source: str, entries: Iterable[tuple[FeedItem | None, float]]) -> None:
            for item, similarity in entries:
                if item is not None and item.key not in found and item.key not in skip:
                    found[item.key] = (item, source, similarity)

        similar = self.similar.get(market)
        if similar is not None and profile.recent_keys:
            pairs = similar.similar(profile.recent_keys, PER_SOURCE)
            take("similar", ((self.catalog.get(market, key), score) for key, score in pairs))
        take("on-items", ((card, 0.0) for card in self._cards_of(market, profile.recent_keys)))
        take("following", ((item, 0.0) for item in self.catalog.by_hosts(market, followed, 20)))
        embedded = self.embedded.get(market)
        if embedded is not None and profile.recent_keys:
            # cosine scores are not on the similarity feature's scale: a candidate only
            pairs = embedded.similar(profile.recent_keys, EMBEDDED)
            take("embedding", ((self.catalog.get(market, key), 0.0) for key, _ in pairs))
        live = sorted(self.catalog.live_in(market), key=lambda item: -item.viewers)
        take("live", ((item, 0.0) for item in live[:20]))
        take("trending", await self._board(market, at, "now"))
        take("popular", _across_categories(await self._board(market, at, "week")))
        if len(found) < PER_SOURCE:
            newest = self.shelves.newest(market, at, self._open_to_all(market))
            take("newest", ((item, 0.0) for item in newest[:PER_SOURCE]))
        return found

    def _cards_of(self, market: str, keys: Sequence[str]) -> list[FeedItem | None]:
        """The product cards of what the viewer recently engaged with, newest first: a video
        watched to the end says as much about its products as about itself."""
        products = dict.fromkeys(
            product_id
            for key in reversed(keys)
            if (item := self.catalog.get(market, key)) is not None and item.kind != "product"
            for product_id in item.product_ids
        )
        cards = [self.catalog.get(market, item_key("product", pid)) for pid in products]
        return cards[:CARDS]

    def _open_to_all(self, market: str) -> Callable[[FeedItem], bool]:
        return lambda item: self.ladder.in_general_pools(market, item.key)

    async def _board(
        self, market: str, at: float, horizon: str
    ) -> Sequence[tuple[FeedItem | None, float]]:
        board = await self.features.trending(market, PER_SOURCE * 2, at, horizon=horizon)
        items = [self.catalog.get(market, key) for key, _ in board]
        keep = self._open_to_all(market)
        return [(item, 0.0) for item in items if item is not None and keep(item)][:PER_SOURCE]

    async def _explorable(self, viewer: str, market: str, at: float) -> Candidates:
        """Climbing content for this page's exploration slots: not seen yet, allowed."""
        keys = await self.ladder.explore(market, at, limit=len(EXPLORE_POSITIONS) * 4)
        seen = await self.features.seen(viewer, keys)
        chosen: Candidates = {}
        for key, times in zip(keys, seen, strict=True):
            item = self.catalog.get(market, key)
            if item is not None and not times and rules.allowed(item, market):
                chosen[key] = (item, EXPLORE, 0.0)
            if len(chosen) == len(EXPLORE_POSITIONS):
                break
        return chosen

    async def _rank(
        self,
        viewer: str,
        market: str,
        found: Candidates,
        profile: Profile,
        followed: frozenset[int],
        at: float,
    ) -> list["RankedCandidate"]:
        """Every candidate with its expected value and features, in no particular order."""
        entries = list(found.values())
        items = [item for item, _, _ in entries]
        if not items:
            return []
        counters = await self._counters(market, items, at)
        seen = await self.features.seen(viewer, [item.key for item in items])
        similarity = np.array([score for _, _, score in entries])
        matrix = feature_matrix(items, counters, profile, similarity, followed, seen, at)
        p_engage, p_buy = self.ranker.predict(matrix)
        prices = np.array([item.price_minor for item in items], dtype=np.float64)
        # an engagement is valued against the prices on offer in this very ranking
        worth = ranking.engagement_worth(prices)
        value = ranking.expected_value(p_engage, p_buy, prices, worth)
        return [
            RankedCandidate(item, float(value[i]), int(seen[i]), source, matrix[i])
            for i, (item, source, _) in enumerate(entries)
        ]

    async def _counters(self, market: str, items: Sequence[FeedItem], at: float) -> Counters:
        """Every candidate's counters in one read: shops, hosts and categories shared by
        several candidates are read once."""
        names = [
            counter_name(market, scope, scope_id(item, scope), signal)
            for item in items
            for scope in SCOPES
            for signal in SIGNALS
        ] + [counter_name(market, "market", market, signal) for signal in SIGNALS]
        unique = {name: None for name in names}
        position = {name: i for i, name in enumerate(unique)}
        values = (await self.features.decayed(list(unique), at))[[position[n] for n in names]]
        per_item = len(SCOPES) * len(SIGNALS)
        shape = (len(items), len(SCOPES), len(SIGNALS), len(HORIZONS))
        return Counters(
            values=values[: len(items) * per_item].reshape(shape),
            market=values[len(items) * per_item :],
        )

    # --- learning from signals -----------------------------------------------------------

    async def observe(self, signals: Sequence[Signal]) -> list[StageChange]:
        """Fold signals into the counters, histories, boards and the ladder, at once."""
        if not signals:
            return []
        decayed: dict[str, float] = defaultdict(float)
        boards: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        known: list[tuple[Signal, FeedItem]] = []
        for signal in signals:
            item = self.catalog.get(signal.market, signal.item_key)
            if item is None:
                continue
            known.append((signal, item))
            for signal_name, amount in _counted(signal, item):
                for scope in (*SCOPES, "market"):
                    name = counter_name(item.market, scope, scope_id(item, scope), signal_name)
                    decayed[name] += amount
            if (heat := _heat(signal, item)) > 0:
                boards[item.market][item.key] += heat
        at = max(signal.at for signal in signals)
        await self.features.add(decayed, at)
        for market, amounts in boards.items():
            await self.features.add_trending(market, amounts, at)
        await self._remember(known)
        return await self.ladder.observe(known, at)

    async def _remember(self, known: Sequence[tuple[Signal, FeedItem]]) -> None:
        shown: dict[str, list[str]] = defaultdict(list)
        liked: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for signal, item in known:
            if signal.action == IMPRESSION:
                shown[signal.viewer].append(item.key)
            elif is_engaged(signal.action, signal.value, item.duration_ms):
                liked[signal.viewer].append((item.key, INTEREST.get(signal.action, 1.0)))
        at = max(signal.at for signal, _ in known) if known else 0.0
        for viewer, keys in shown.items():
            await self.features.mark_seen(viewer, keys, at)
        for viewer, entries in liked.items():
            await self.features.remember(viewer, entries, at)


@dataclass(slots=True)
class RankedCandidate(rules.Ranked):
    source: str = ""
    features: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))


def counter_name(market: str, scope: str, ident: object, signal: str) -> str:
    return f"{scope}:{market}:{ident}:{signal}"


_SCOPE_FIELDS = {"item": "key", "shop": "shop_id", "host": "host_id", "cat": "category_id"}


def scope_id(item: FeedItem, scope: str) -> object:
    return getattr(item, _SCOPE_FIELDS.get(scope, "market"))


def _counted(signal: Signal, item: FeedItem) -> list[tuple[str, float]]:
    """The decayed counters one signal moves, and by how much."""
    counted: list[tuple[str, float]] = []
    if signal.action == IMPRESSION:
        counted.append(("shown", 1.0))
    if signal.action == WATCH and item.duration_ms:
        counted.append(("done", min(1.0, signal.value / item.duration_ms)))
    if signal.action != IMPRESSION and is_engaged(signal.action, signal.value, item.duration_ms):
        counted.append(("engaged", 1.0))
    if signal.action == PURCHASE:
        counted += [("bought", 1.0), ("gmv", signal.value)]
    return counted


def _heat(signal: Signal, item: FeedItem) -> float:
    """How much a signal warms an item on the trending boards (engagement, sales)."""
    if not is_engaged(signal.action, signal.value, item.duration_ms):
        return 0.0
    return INTEREST.get(signal.action, 1.0)


def _profile(history: Sequence[tuple[str, float, float]], catalog: Catalog, market: str) -> Profile:
    categories: dict[int, float] = defaultdict(float)
    shops: dict[int, float] = defaultdict(float)
    hosts: dict[int, float] = defaultdict(float)
    prices: list[tuple[float, float]] = []
    keys: list[str] = []
    for key, weight, _at in history:
        item = catalog.get(market, key)
        if item is None:
            continue
        keys.append(key)
        categories[item.category_id] += weight
        shops[item.shop_id] += weight
        hosts[item.host_id] += weight
        if item.price_minor > 0:
            prices.append((math.log(item.price_minor), weight))
    total = sum(categories.values()) or 1.0
    log_price = sum(p * w for p, w in prices) / sum(w for _, w in prices) if prices else 0.0
    return Profile(
        categories={k: v / total for k, v in categories.items()},
        shops={k: v / total for k, v in shops.items()},
        hosts={k: v / total for k, v in hosts.items()},
        log_price=log_price,
        interactions=len(keys),
        recent_keys=keys,
    )


def feature_matrix(
    items: Sequence[FeedItem],
    counters: Counters,
    profile: Profile,
    similarity: np.ndarray,
    followed: frozenset[int],
    seen: np.ndarray,
    at: float,
) -> np.ndarray:
    """One row of FEATURES per item (see ranking.FEATURES for what each means)."""
    rates = ranking.rates(counters)
    prices = np.array([item.price_minor for item in items], dtype=np.float64)
    log_price = np.log(np.maximum(prices, 1.0))
    kinds = [item.kind for item in items]
    columns = {
        **{name: rates[name] for name in ranking.RATE_FEATURES},
        "engaged_now": np.log1p(counters.of("item", "engaged", "now")),
        "bought_now": np.log1p(counters.of("item", "bought", "now")),
        "shown_week": np.log1p(counters.of("item", "shown")),
        "affinity_category": _lookup(profile.categories, (i.category_id for i in items)),
        "affinity_shop": _lookup(profile.shops, (i.shop_id for i in items)),
        "affinity_host": _lookup(profile.hosts, (i.host_id for i in items)),
        "similarity": similarity,
        "followed": np.array([float(i.host_id in followed) for i in items]),
        "is_video": np.array([float(k == "video") for k in kinds]),
        "is_live": np.array([float(k == "live") for k in kinds]),
        "is_product": np.array([float(k == "product") for k in kinds]),
        "log_price": log_price,
        "price_gap": (log_price - profile.log_price) * (profile.log_price > 0) * (prices > 0),
        "age_hours": np.log1p(np.array([max(0.0, at - i.published_at) / 3600 for i in items])),
        "live_viewers": np.log1p(np.array([float(i.viewers) for i in items])),
        "seen": np.asarray(seen, dtype=np.float64),
        "viewer_history": np.full(len(items), math.log1p(profile.interactions)),
    }
    return np.column_stack([columns[name] for name in FEATURES])


def _lookup(shares: Mapping[int, float], ids: Iterable[int]) -> np.ndarray:
    return np.array([shares.get(i, 0.0) for i in ids])


def _across_categories(
    board: Sequence[tuple[FeedItem | None, float]],
) -> list[tuple[FeedItem | None, float]]:
    """Popular items taken round the categories, so a first feed is not all one aisle."""
    by_category: dict[int, list[tuple[FeedItem | None, float]]] = defaultdict(list)
    for entry in board:
        if entry[0] is not None and len(by_category[entry[0].category_id]) < POPULAR_PER_CATEGORY:
            by_category[entry[0].category_id].append(entry)
    rounds = zip(
        *(
            lane + [(None, 0.0)] * (POPULAR_PER_CATEGORY - len(lane))
            for lane in by_category.values()
        ),
        strict=True,
    )
    return [entry for turn in rounds for entry in turn if entry[0] is not None]


def _interleave(
    ranked: Sequence[RankedCandidate], exploring: Sequence[RankedCandidate], size: int
) -> list[RankedCandidate]:
    """Ranked items in order, exploration items at their fixed positions."""
    page = list(ranked[: size - len(exploring)])
    for position, entry in zip(EXPLORE_POSITIONS, exploring, strict=False):
        page.insert(min(position, len(page)), entry)
    return page
