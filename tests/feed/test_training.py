"""Retraining the ranker from the event log: labels, champion against challenger, the run's
row and model file, and installing the winner into the engine."""

import math
import shutil
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from shoptide.db import Databases, utcnow
from shoptide.feed import ranking, service, training
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.items import IMPRESSION, LIKE, PURCHASE, WATCH, FeedItem, Signal
from shoptide.feed.models import FeedEvent, TrainingRun
from shoptide.feed.ranking import COLUMN, FEATURES, LearnedRanker, PriorRanker
from shoptide.settings import GLOBAL_CELL

PAGE = 10  # items per served page
DAY = 86_400.0

Labels = Callable[[int, np.ndarray], tuple[bool, bool]]  # (index, features) -> labels


@pytest.fixture(autouse=True)
def quick_and_clean(databases: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    """Few boosting rounds (the worker process gets the parent's), no earlier test's models."""
    monkeypatch.setattr(ranking, "ROUNDS", 30)
    shutil.rmtree(databases.settings.models_dir, ignore_errors=True)


def clean(_index: int, row: np.ndarray) -> tuple[bool, bool]:
    """Viewers engage with what is in their favourite category, buy what sells well."""
    return bool(row[COLUMN["affinity_category"]] > 0.5), bool(row[COLUMN["purchase_rate"]] > 0.8)


def _row(rng: np.random.Generator) -> np.ndarray:
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
                key, at, row = f"product:{index % 40}", start + 60.0 * index, _row(rng)
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


async def _run(databases: Databases, run_id: int) -> TrainingRun:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        run = await session.get(TrainingRun, run_id)
        assert run is not None
        return run


def _with_affinity(affinity: float) -> np.ndarray:
    rows = np.stack([_row(np.random.default_rng(seed)) for seed in range(50)])
    rows[:, COLUMN["affinity_category"]] = affinity
    return rows


# --- champion and challenger ----------------------------------------------------------------


async def test_a_ranker_learned_from_the_log_replaces_the_prior_and_is_saved(databases):
    await log_traffic(databases, shown=600)
    heard: list[tuple[int, str]] = []

    result = await training.train(
        databases,
        current=PriorRanker(),
        durations={},
        on_progress=lambda percent, stage: heard.append((percent, stage)),
    )

    assert result.status == "champion", result.message
    assert result.metrics["challenger"]["auc_value"] > result.metrics["champion"]["auc_value"]
    assert (result.metrics["examples"], result.metrics["held_out"]) == (600, 120)
    run = await _run(databases, result.run_id)
    assert (run.status, run.progress, run.finished_at is not None) == ("champion", 100, True)
    assert run.model_path == str(databases.settings.models_dir / f"ranker-{run.id}.json")
    assert run.metrics == result.metrics
    # progress: stage by stage, and round by round from the worker process while fitting
    percents = [percent for percent, _ in heard]
    assert percents == sorted(percents) and percents[-1] == 100
    assert any(training.LOADED < p < training.FITTED for p, stage in heard if stage == "fitting")

    champion = await training.load_champion(databases)
    assert isinstance(champion, LearnedRanker) and champion.name == f"learned-{run.id}"
    affine, _ = champion.predict(_with_affinity(0.9))
    indifferent, _ = champion.predict(_with_affinity(0.1))
    assert (affine > indifferent).all()
    # "more like this" from the viewers' liked items, page by page
    assert result.similar["US"].similar(["product:0"], 5)


async def test_too_little_traffic_is_rejected_in_plain_words_and_nothing_is_saved(databases):
    await log_traffic(databases, shown=120)

    result = await training.train(databases, current=PriorRanker(), durations={})

    assert result.status == "rejected"
    assert result.message == "not enough feed traffic yet: 120 shown items, 500 needed"
    run = await _run(databases, result.run_id)
    assert (run.status, run.progress, run.model_path) == ("rejected", 100, "")
    assert not list(databases.settings.models_dir.glob("ranker-*"))  # the neighbours may be
    assert await training.load_champion(databases) is None


async def test_a_challenger_that_ranks_worse_is_rejected_and_the_champion_stays(databases):
    await log_traffic(databases, shown=600)
    first = await training.train(databases, current=PriorRanker(), durations={})
    assert first.status == "champion"
    async with databases.session("main") as session:  # a new month of traffic
        await session.execute(delete(FeedEvent))
    noise = np.random.default_rng(11)

    def noisy_then_clean(index: int, row: np.ndarray) -> tuple[bool, bool]:
        # the older 80% (what the challenger learns from) is noise; the held-out is not
        return clean(index, row) if index >= 480 else (noise.random() < 0.5, noise.random() < 0.2)

    await log_traffic(databases, shown=600, labels=noisy_then_clean)
    current = await training.load_champion(databases)
    assert current is not None

    second = await training.train(databases, current=current, durations={})

    assert second.status == "rejected"
    assert second.message.startswith(f"kept learned-{first.run_id}:")
    assert second.metrics["champion"]["auc_value"] > second.metrics["challenger"]["auc_value"]
    assert second.ranker is None and second.model_path is None
    assert not (databases.settings.models_dir / f"ranker-{second.run_id}.json").exists()
    assert (await _run(databases, first.run_id)).status == "champion"
    stays = await training.load_champion(databases)
    assert stays is not None and stays.name == f"learned-{first.run_id}"


class BrokenRanker:
    name = "broken"

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise RuntimeError("the model file is corrupt")


async def test_a_run_that_breaks_ends_failed_with_the_reason_and_raises_nothing(databases):
    await log_traffic(databases, shown=600)

    result = await training.train(databases, current=BrokenRanker(), durations={})

    assert result.status == "failed"
    run = await _run(databases, result.run_id)
    assert run.status == "failed"
    assert "the model file is corrupt" in run.message
    assert await training.load_champion(databases) is None


async def test_a_run_made_by_the_caller_is_the_one_that_reports(databases):
    async with databases.session(GLOBAL_CELL) as session:
        session.add(TrainingRun(status="running"))
    async with databases.session(GLOBAL_CELL, write=False) as session:
        run_id = await session.scalar(select(TrainingRun.id))
    assert run_id is not None

    result = await training.train(databases, current=PriorRanker(), durations={}, run_id=run_id)

    assert result.run_id == run_id
    assert (await _run(databases, run_id)).status == "rejected"
    async with databases.session(GLOBAL_CELL, write=False) as session:
        assert len((await session.scalars(select(TrainingRun))).all()) == 1


async def test_retraining_installs_the_winner_and_more_like_this_into_the_engine(databases):
    await log_traffic(databases, shown=600)
    engine = FeedEngine(MemoryFeatures())

    result = await training.retrain(databases, engine)

    assert result.status == "champion"
    assert engine.ranker is result.ranker
    assert engine.similar["US"] is result.similar["US"]
    assert engine.embedded == result.embedded  # embeddings once a market has enough items


async def test_one_process_claims_a_due_run_and_the_others_wait_for_the_next(databases):
    every = timedelta(hours=6)

    first = await training.claim_run(databases, every=every)
    second = await training.claim_run(databases, every=every)
    async with databases.session(GLOBAL_CELL) as session:  # six hours and a bit later
        await session.execute(
            update(TrainingRun).values(started_at=utcnow() - every - timedelta(minutes=1))
        )
    later = await training.claim_run(databases, every=every)

    assert first is not None and second is None
    assert later is not None and later != first


async def test_other_processes_install_the_newest_champion_and_neighbours(databases):
    await log_traffic(databases, shown=600)
    trainer = FeedEngine(MemoryFeatures())
    result = await training.retrain(databases, trainer)
    assert result.status == "champion"
    elsewhere = FeedEngine(MemoryFeatures())  # another app process, still on the prior

    installed = await training.install_latest(databases, elsewhere)
    similar = elsewhere.similar["US"]
    again = await training.install_latest(databases, elsewhere, installed=installed)

    assert installed == result.run_id and again == installed
    assert elsewhere.ranker.name == training.champion_name(result.run_id)
    assert set(elsewhere.similar) == set(result.similar)
    assert elsewhere.similar["US"] is similar  # nothing read again when nothing is new


# --- labels -------------------------------------------------------------------------------


async def test_labels_come_from_the_same_page_and_purchases_within_a_day(databases):
    t = utcnow().timestamp() - 5 * DAY
    keys = ["video:1", "video:2", "video:3", "video:4", "live:5", "product:6", "product:7"]
    served = {
        key: service.ServedLog(i, "popular", [float(i)] * len(FEATURES))
        for i, key in enumerate(keys)
    }

    def shown(i: int, key: str) -> Signal:
        return Signal("user:1", "US", key, IMPRESSION, t + i)

    def did(key: str, action: str, at: float, value: float = 0.0) -> Signal:
        return Signal("user:1", "US", key, action, at, value=value)

    async with databases.session("main") as session:
        await service.record(
            session,
            [shown(i, key) for i, key in enumerate(keys)]
            + [
                did("video:1", LIKE, t + 30),  # liked on the page: engaged
                did("video:3", WATCH, t + 30, 6_000),  # 60% of 10 s: engaged
                did("video:4", WATCH, t + 30, 4_000),  # 40% of 10 s: not
                did("live:5", WATCH, t + 30, 5_000),  # 5 s of something of unknown length
            ],
            page_id="page-1",
            served=served,
        )
        await service.record(session, [did("video:2", LIKE, t + 60)], page_id="page-2")
        await service.record(session, [did("product:6", PURCHASE, t + 2 * 3600)], page_id="order:1")
        await service.record(session, [did("product:7", PURCHASE, t + 2 * DAY)], page_id="order:2")
        # another viewer's purchase is not this viewer's sale
        other = Signal("user:2", "US", "video:1", PURCHASE, t + 60)
        await service.record(session, [other], page_id="order:3")

    data = await training.load_examples(
        databases,
        durations={("US", "video:3"): 10_000, ("US", "video:4"): 10_000},
        since=utcnow() - training.WINDOW,
    )

    examples = data.examples
    assert examples.features[:, 0].tolist() == [float(i) for i in range(len(keys))]  # by time
    assert examples.engaged.tolist() == [1, 0, 1, 0, 1, 0, 0]
    assert examples.bought.tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert data.sequences == {
        "US": [["video:1", "video:3", "live:5", "video:2", "product:6", "product:7"]]
    }


def test_video_lengths_are_kept_per_market_because_ids_repeat_across_cells():
    us = FeedItem("video:3", "video", 3, "US", 1, 1, 1, 100, (), 0.0, duration_ms=10_000)
    gb = FeedItem("video:3", "video", 3, "GB", 2, 2, 1, 100, (), 0.0, duration_ms=60_000)
    card = FeedItem("product:9", "product", 9, "US", 1, 1, 1, 100, (9,), 0.0)

    assert training.durations_of([us, gb, card]) == {
        ("US", "video:3"): 10_000,
        ("GB", "video:3"): 60_000,
    }
