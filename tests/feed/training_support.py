"""Traffic for training tests: impressions with the ranker's features on served pages,
and the labels viewers give them."""

import math
import shutil
from collections.abc import Callable

import numpy as np
import pytest

from shoptide.db import Databases, utcnow
from shoptide.feed import ranking, service
from shoptide.feed.items import IMPRESSION, LIKE, PURCHASE, Signal
from shoptide.feed.ranking import COLUMN, FEATURES

PAGE = 10  # items per served page
DAY = 86_400.0

Labels = Callable[[int, np.ndarray], tuple[bool, bool]]  # (index, features) -> labels


@pytest.fixture
def quick_and_clean(databases: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    """Few boosting rounds (the worker process gets the parent's), no earlier test's models."""
    monkeypatch.setattr(ranking, "ROUNDS", 30)
    shutil.rmtree(databases.settings.models_dir, ignore_errors=True)


def clean(_index: int, row: np.ndarray) -> tuple[bool, bool]:
    """Viewers engage with what is in their favourite category, buy what sells well."""
    return bool(row[COLUMN["affinity_category"]] > 0.5), bool(row[COLUMN["purchase_rate"]] > 0.8)


def row_of(rng: np.random.Generator) -> np.ndarray:
    row = rng.uniform(0.0, 1.0, len(FEATURES))
    row[COLUMN["engage_rate"]] *= 0.3
    row[COLUMN["purchase_rate"]] = rng.uniform(0.0, 1.0)
    row[COLUMN["log_price"]] = math.log(2_000)
    row[COLUMN["price_gap"]] = 0.0
    return row


async def log_traffic(
    databases: Databases, *, shown: int, labels: Labels = clean, start: float | None = None
) -> None:
    """`shown` impressions, a minute apart, on pages of PAGE items (one viewer a page); a
    like on the page where engaged, a purchase an hour later where bought."""
    rng = np.random.default_rng(7)
    start = start if start is not None else utcnow().timestamp() - 5 * DAY
    async with databases.session("main") as session:
        for first in range(0, shown, PAGE):
            viewer, page_id = f"user:{first}", f"page-{first}"
            signals, served, orders = [], {}, []
            for index in range(first, min(first + PAGE, shown)):
                key, at, row = f"product:{index % 40}", start + 60.0 * index, row_of(rng)
                engaged, bought = labels(index, row)
                served[key] = service.ServedLog(index % PAGE, "popular", row.tolist())
                signals.append(Signal(viewer, "US", key, IMPRESSION, at))
                if engaged:
                    signals.append(Signal(viewer, "US", key, LIKE, at + 5))
                if bought:
                    orders.append(Signal(viewer, "US", key, PURCHASE, at + 3600, value=2_000))
            await service.record(session, signals, page_id=page_id, served=served)
            for number, order in enumerate(orders):
                await service.record(session, [order], page_id=f"order:{first}-{number}")
