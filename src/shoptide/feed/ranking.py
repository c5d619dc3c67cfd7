"""Ranking by expected value: how likely the viewer engages with an item and how likely
they buy from it, times what a purchase is worth.

    value = P(engage) * engagement_worth + P(purchase) * price

Two rankers share one interface. `PriorRanker` needs no training: smoothed rates times the
viewer's affinity, the feed's first champion. `LearnedRanker` is a pair of LightGBM models
trained on logged impressions (the features as they were when the item was shown, and
what the viewer did next); it replaces the champion only when it scores better on
held-out data (feed.training). Both read the same feature columns, built here from the
real-time counters, so a burst of purchases moves an item at once, without retraining.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import lightgbm as lgb
import numpy as np
from scipy.stats import rankdata

SCOPES = ("item", "shop", "host", "cat")
SIGNALS = ("shown", "engaged", "done", "bought", "gmv")
HORIZONS = ("now", "week")  # the feature store's half-lives, in its column order
SMOOTHING = 20.0  # impressions' worth of the wider rate mixed into each narrower one

FEATURES = (
    "engage_rate",  # the item's, smoothed towards its category's and then the market's
    "completion_rate",
    "purchase_rate",
    "shop_purchase_rate",
    "host_engage_rate",
    "category_engage_rate",
    "engaged_now",  # log1p of engagements in the last minutes (decayed "now")
    "bought_now",
    "shown_week",
    "affinity_category",  # share of the viewer's recent interest in the item's category
    "affinity_shop",
    "affinity_host",
    "similarity",  # the "more like this" score, 0 when not a similar-items candidate
    "followed",
    "is_video",
    "is_live",
    "is_product",
    "log_price",
    "price_gap",  # log price minus the viewer's usual log price (0: no history)
    "age_hours",
    "live_viewers",
    "seen",
    "viewer_history",  # how much the feed knows about the viewer (log1p of interactions)
)
COLUMN = {name: index for index, name in enumerate(FEATURES)}
# Features whose growth may only raise the predictions (LightGBM monotone constraints):
# so that more engagement or more sales never rank an item lower.
RISING = {"engage_rate", "completion_rate", "purchase_rate", "engaged_now", "bought_now"}


class Ranker(Protocol):
    name: str

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(engage) and P(purchase) for each row of a (n, len(FEATURES)) matrix."""


def smoothed(hits: np.ndarray, shown: np.ndarray, prior: np.ndarray | float) -> np.ndarray:
    """hits/shown pulled towards `prior`; never above 1 (hits can come from outside the
    feed, e.g. a purchase through a shared link, with no impression counted)."""
    return (hits + np.asarray(prior) * SMOOTHING) / (np.maximum(shown, hits) + SMOOTHING)


@dataclass(frozen=True)
class Counters:
    """Decayed counters of n candidates: values[i, scope, signal, horizon]."""

    values: np.ndarray
    market: np.ndarray  # the market's totals: [signal, horizon]

    def of(self, scope: str, signal: str, horizon: str = "week") -> np.ndarray:
        return self.values[:, SCOPES.index(scope), SIGNALS.index(signal), HORIZONS.index(horizon)]

    def market_rate(self, signal: str) -> float:
        week = HORIZONS.index("week")
        shown = self.market[SIGNALS.index("shown"), week]
        hits = self.market[SIGNALS.index(signal), week]
        return float(min(hits / shown, 1.0)) if shown > 1 else 0.0


RATE_FEATURES = (
    "engage_rate",
    "completion_rate",
    "purchase_rate",
    "shop_purchase_rate",
    "host_engage_rate",
    "category_engage_rate",
)
# Until a market has history: typical shares of impressions that engage, finish, buy.
DEFAULT_RATES = {"engaged": 0.2, "done": 0.3, "bought": 0.01}


def rates(counters: Counters) -> dict[str, np.ndarray]:
    """The RATE_FEATURES: item rates smoothed item -> category -> market, and the shop's,
    host's and category's own rates (smoothed towards the market's)."""

    def scoped(scope: str, signal: str, prior: np.ndarray | float) -> np.ndarray:
        return smoothed(counters.of(scope, signal), counters.of(scope, "shown"), prior)

    market = {s: counters.market_rate(s) or DEFAULT_RATES[s] for s in DEFAULT_RATES}
    category = {s: scoped("cat", s, market[s]) for s in DEFAULT_RATES}
    return {
        "engage_rate": scoped("item", "engaged", category["engaged"]),
        "completion_rate": scoped("item", "done", category["done"]),
        "purchase_rate": scoped("item", "bought", category["bought"]),
        "shop_purchase_rate": scoped("shop", "bought", market["bought"]),
        "host_engage_rate": scoped("host", "engaged", market["engaged"]),
        "category_engage_rate": category["engaged"],
    }


# --- the rankers -----------------------------------------------------------------------------


class PriorRanker:
    """Rates the market has seen, lifted by what this viewer showed interest in."""

    name = "prior"

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = {name: features[:, index] for name, index in COLUMN.items()}
        interest = (
            1.0
            + 1.5 * f["affinity_category"]
            + 1.0 * f["affinity_shop"]
            + 1.5 * f["affinity_host"]
            + 2.0 * f["similarity"]
            + 1.0 * f["followed"]
        )
        # a crowd in a live room is engagement happening now, as recent engagements are
        now = 1.0 + 0.3 * f["engaged_now"] + 0.2 * f["live_viewers"]
        engage = f["engage_rate"] * interest * now
        affordable = np.exp(-np.maximum(f["price_gap"], 0.0))  # dearer than usual: less likely
        buy = f["purchase_rate"] * interest * affordable * (1.0 + 0.5 * f["bought_now"])
        return np.clip(engage, 0.0, 1.0), np.clip(buy, 0.0, 1.0)


class LearnedRanker:
    """Two gradient-boosted models over FEATURES: P(engage) and P(purchase)."""

    def __init__(self, engage: lgb.Booster, purchase: lgb.Booster, name: str = "learned") -> None:
        self.engage, self.purchase, self.name = engage, purchase, name

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Small pages: one thread (the pool's start-up costs more than the work).
        engage = self.engage.predict(features, num_threads=1)
        purchase = self.purchase.predict(features, num_threads=1)
        return np.asarray(engage), np.asarray(purchase)

    def save(self, path: Path) -> None:
        bundle = {
            "name": self.name,
            "features": list(FEATURES),
            "engage": self.engage.model_to_string(),
            "purchase": self.purchase.model_to_string(),
        }
        path.write_text(json.dumps(bundle))

    @classmethod
    def load(cls, path: Path) -> "LearnedRanker":
        bundle = json.loads(path.read_text())
        if bundle["features"] != list(FEATURES):
            raise ValueError(f"{path} was trained on other features; retrain it")
        return cls(
            lgb.Booster(model_str=bundle["engage"]),
            lgb.Booster(model_str=bundle["purchase"]),
            bundle["name"],
        )


BOOSTING = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "num_threads": 1,
    "verbose": -1,
    "monotone_constraints": [1 if name in RISING else 0 for name in FEATURES],
}
ROUNDS = 200


def fit(
    features: np.ndarray,
    engaged: np.ndarray,
    bought: np.ndarray,
    *,
    name: str,
    on_round: "RoundCallback | None" = None,
) -> LearnedRanker:
    """Train both models; on_round(done, total) reports progress across the two."""
    boosters = []
    for offset, labels in enumerate((engaged, bought)):
        callbacks = [] if on_round is None else [_progress(on_round, offset * ROUNDS, 2 * ROUNDS)]
        data = lgb.Dataset(features, label=labels, feature_name=list(FEATURES))
        boosters.append(lgb.train(BOOSTING, data, num_boost_round=ROUNDS, callbacks=callbacks))
    return LearnedRanker(boosters[0], boosters[1], name)


class RoundCallback(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


def _progress(
    report: RoundCallback, offset: int, total: int
) -> Callable[[lgb.callback.CallbackEnv], None]:
    def callback(env: lgb.callback.CallbackEnv) -> None:
        report(offset + env.iteration + 1, total)

    return callback


# --- judging a ranker on held-out impressions ----------------------------------------------


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney); 0.5 when one class is missing."""
    positives = labels > 0
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if not n_pos or not n_neg:
        return 0.5
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def judge(
    ranker: Ranker,
    features: np.ndarray,
    engaged: np.ndarray,
    bought: np.ndarray,
    prices: np.ndarray,
) -> dict[str, float]:
    """Held-out quality: AUC of each probability, and AUC of the expected value against
    what a shown item earned (the ordering the feed actually uses)."""
    p_engage, p_buy = ranker.predict(features)
    value = expected_value(p_engage, p_buy, prices, engagement_worth(prices))
    return {
        "auc_engage": auc(engaged, p_engage),
        "auc_purchase": auc(bought, p_buy),
        "auc_value": auc(engaged + bought, value),
    }


def beats(challenger: dict[str, float], champion: dict[str, float]) -> bool:
    """The challenger wins on the ordering the feed uses, without losing on sales."""
    return (
        challenger["auc_value"] > champion["auc_value"]
        and challenger["auc_purchase"] >= champion["auc_purchase"] - 0.005
    )


ENGAGEMENT_SHARE = 0.1  # an engagement is worth a tenth of a typical item's price


def engagement_worth(prices: Sequence[float] | np.ndarray) -> float:
    """What one engagement is worth in the market's money: a share of the median price."""
    priced = np.asarray(prices, dtype=np.float64)
    priced = priced[priced > 0]
    return ENGAGEMENT_SHARE * float(np.median(priced)) if priced.size else 1.0


def expected_value(
    p_engage: np.ndarray, p_purchase: np.ndarray, prices: np.ndarray, worth: float
) -> np.ndarray:
    return p_engage * worth + p_purchase * prices
