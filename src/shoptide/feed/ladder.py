"""The cold-start traffic ladder: how new videos and live rooms earn an audience.

New content enters the starter pool and is guaranteed a small exposure: one slot of every
page goes to the least-shown starter item. Other exploration slots are given by Thompson
sampling over everything still climbing: each item's engagement rate has a Beta posterior
(its own impressions and engagements at this stage, on top of a prior centred on its peers'
rate), and the items whose sampled rate is highest are shown. An item that is doing well
thus gets more of the exploration traffic before any decision, and a poor one less.

When an item has had its stage's budget of impressions, the ladder decides: if the
posterior probability that its rate beats its peers' (other content at that stage in the
market) is at least one half, it moves up a stage, and after the last budget it is open to
the whole feed; otherwise it stops growing and is no longer explored (followers and
"more like this" can still bring it). Nothing here is a fixed boost: traffic follows what
viewers did.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta

from shoptide.feed.features import FeatureStore
from shoptide.feed.items import FeedItem, Signal, is_engaged
from shoptide.i18n import N_

LADDER_KINDS = ("video", "live")  # product cards are shelf items: no cold start


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    budget: int  # impressions at this stage before the ladder decides (0: the last stage)


# names marked for translation: Seller Center shows them to merchants
STAGES = (
    Stage(N_("starter pool"), 100),
    Stage(N_("growing pool"), 1_000),
    Stage(N_("wide pool"), 10_000),
    Stage(N_("open feed"), 0),
)
OPEN = len(STAGES) - 1
PRIOR_STRENGTH = 20.0  # the peers' rate counts as this many impressions in each prior
DEFAULT_PEER_RATE = 0.2  # until a market has history
EXPLORE_SAMPLE = 512  # items considered for one page's exploration slots
PROMOTE_PROBABILITY = 0.5


@dataclass(frozen=True, slots=True)
class StageChange:
    """An item entered a stage, or stopped growing: the service persists it (ItemStage)."""

    item_key: str
    market: str
    shop_id: int
    stage: int  # index into STAGES
    status: str  # "growing" | "stopped" | "open"
    reason: str  # what the decision saw, in plain words (for operators and logs)
    at: float  # epoch seconds
    rate: float = 0.0  # the item's engagement rate at the stage decided on
    peer_rate: float = 0.0  # its peers' rate then


@dataclass(slots=True)
class Position:
    stage: int
    status: str
    shop_id: int


def _counter(market: str, key: str, stage: int, what: str) -> str:
    return f"ladder:{market}:{key}:{stage}:{what}"


def _peers(market: str, stage: int, what: str) -> str:
    return f"ladder-peers:{market}:{stage}:{what}"


class Ladder:
    def __init__(self, features: FeatureStore, rng: np.random.Generator | None = None) -> None:
        self.features = features
        self.rng = rng or np.random.default_rng()
        self._positions: dict[tuple[str, str], Position] = {}
        self._climbing: dict[str, dict[str, None]] = defaultdict(dict)  # market -> keys

    # --- where items stand --------------------------------------------------------------

    def restore(self, changes: Iterable[StageChange]) -> None:
        """Positions saved earlier (the latest change of each item)."""
        for change in changes:
            self._place(change.market, change.item_key, change.stage, change.status, change.shop_id)

    def _place(self, market: str, key: str, stage: int, status: str, shop_id: int) -> None:
        self._positions[(market, key)] = Position(stage, status, shop_id)
        if status == "growing":
            self._climbing[market][key] = None
        else:
            self._climbing[market].pop(key, None)

    def enter(self, item: FeedItem, at: float) -> StageChange | None:
        """New content starts in the starter pool; anything else is not on the ladder."""
        if item.kind not in LADDER_KINDS or (item.market, item.key) in self._positions:
            return None
        self._place(item.market, item.key, 0, "growing", item.shop_id)
        return StageChange(item.key, item.market, item.shop_id, 0, "growing", "new", at)

    def explore_only(self, present: Callable[[str, str], bool]) -> None:
        """Stop exploring items that left the feed (taken down, rooms ended); their saved
        stage stays, should they come back."""
        for market, keys in self._climbing.items():
            for key in [key for key in keys if not present(market, key)]:
                del keys[key]

    def stage_of(self, market: str, key: str) -> int:
        position = self._positions.get((market, key))
        return OPEN if position is None else position.stage

    def status_of(self, market: str, key: str) -> str:
        position = self._positions.get((market, key))
        return "open" if position is None else position.status

    def in_general_pools(self, market: str, key: str) -> bool:
        """Trending and popular lists carry open items and those past the starter pool."""
        position = self._positions.get((market, key))
        return position is None or (position.status != "stopped" and position.stage > 0)

    # --- exploration ---------------------------------------------------------------------

    async def explore(self, market: str, at: float, limit: int) -> list[str]:
        """Climbing items for exploration slots, best claim first: the least-shown starter
        item, then the rest by Thompson sampling."""
        climbing = list(self._climbing.get(market, {}))
        if not climbing:
            return []
        if len(climbing) > EXPLORE_SAMPLE:
            picked = self.rng.choice(len(climbing), EXPLORE_SAMPLE, replace=False)
            climbing = [climbing[i] for i in picked]
        stages = np.array([self._positions[(market, key)].stage for key in climbing])
        shown, engaged = await self._stage_counts(market, climbing, stages)
        peer_rates = await self._peer_rates(market, stages, at)
        draws = self.rng.beta(*_posterior(peer_rates, shown, engaged))
        order = list(np.argsort(-draws))
        starters = np.flatnonzero(stages == 0)
        if starters.size:
            neediest = int(starters[np.argmin(shown[starters])])
            order.remove(neediest)
            order.insert(0, neediest)
        return [climbing[i] for i in order[:limit]]

    async def _stage_counts(
        self, market: str, keys: Sequence[str], stages: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        names = [
            _counter(market, key, int(stage), what)
            for key, stage in zip(keys, stages, strict=True)
            for what in ("shown", "engaged")
        ]
        totals = (await self.features.totals(names)).reshape(-1, 2)
        shown = totals[:, 0]
        return shown, np.minimum(totals[:, 1], shown)

    async def _peer_rates(self, market: str, stages: np.ndarray, at: float) -> np.ndarray:
        names = [
            _peers(market, stage, what) for stage in range(OPEN) for what in ("shown", "engaged")
        ]
        week = (await self.features.decayed(names, at))[:, -1].reshape(-1, 2)
        rates = np.where(
            week[:, 0] >= PRIOR_STRENGTH,
            np.minimum(week[:, 1], week[:, 0]) / np.maximum(week[:, 0], 1.0),
            DEFAULT_PEER_RATE,
        )
        return rates[np.minimum(stages, OPEN - 1)]

    # --- learning from what viewers did ----------------------------------------------------

    async def observe(
        self, seen: Sequence[tuple[Signal, FeedItem]], at: float
    ) -> list[StageChange]:
        """Count impressions and engagements of climbing items at their stage, and decide
        for every item that used up its stage's budget."""
        counts: dict[str, float] = defaultdict(float)
        peers: dict[str, float] = defaultdict(float)
        touched: dict[tuple[str, str], int] = {}
        for signal, item in seen:
            position = self._positions.get((signal.market, signal.item_key))
            if position is None or position.status != "growing":
                continue
            if signal.stage >= 0 and signal.stage != position.stage:
                continue  # shown at an earlier stage (a replay, or a page served before a move)
            what = "shown" if signal.action == "impression" else "engaged"
            if what == "engaged" and not is_engaged(signal.action, signal.value, item.duration_ms):
                continue
            counts[_counter(signal.market, signal.item_key, position.stage, what)] += 1
            peers[_peers(signal.market, position.stage, what)] += 1
            touched[(signal.market, signal.item_key)] = position.stage
        if not counts:
            return []
        await self.features.incr(counts)
        await self.features.add(peers, at)
        return [
            change
            for (market, key), stage in touched.items()
            if (change := await self._decide(market, key, stage, at)) is not None
        ]

    async def _decide(self, market: str, key: str, stage: int, at: float) -> StageChange | None:
        shown, engaged = await self._stage_counts(market, [key], np.array([stage]))
        if shown[0] < STAGES[stage].budget:
            return None
        peer_rate = float((await self._peer_rates(market, np.array([stage]), at))[0])
        a, b = _posterior(np.array([peer_rate]), shown, engaged)
        beats_peers = float(beta.sf(peer_rate, a[0], b[0])) >= PROMOTE_PROBABILITY
        rate = float(engaged[0] / shown[0])
        position = self._positions[(market, key)]
        if beats_peers:
            stage += 1
            status = "open" if stage == OPEN else "growing"
            verb = "moved up to"
        else:
            status = "stopped"
            verb = "stayed in"
        self._place(market, key, stage, status, position.shop_id)
        reason = (
            f"{verb} the {STAGES[stage].name}: {rate:.0%} of viewers engaged, "
            f"{peer_rate:.0%} for its peers"
        )
        return StageChange(
            key, market, position.shop_id, stage, status, reason, at, rate, peer_rate
        )


def _posterior(
    peer_rates: np.ndarray, shown: np.ndarray, engaged: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, b) of each item's engagement rate: the peers' rate as the prior."""
    a = peer_rates * PRIOR_STRENGTH + engaged + 1e-3
    b = (1.0 - peer_rates) * PRIOR_STRENGTH + (shown - engaged) + 1e-3
    return a, b
