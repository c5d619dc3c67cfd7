"""Retraining the ranker from the event log: champion against challenger, the run's row
and model file, and installing the winner into the engine."""

import numpy as np
import pytest
from sqlalchemy import delete, select

from shoptide.db import Databases
from shoptide.feed import champion as champions
from shoptide.feed import training
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.models import FeedEvent, TrainingRun
from shoptide.feed.ranking import COLUMN, LearnedRanker, PriorRanker
from shoptide.settings import GLOBAL_CELL
from tests.feed.training_support import clean, log_traffic, quick_and_clean, row_of

pytestmark = pytest.mark.usefixtures(quick_and_clean.__name__)


async def _run(databases: Databases, run_id: int) -> TrainingRun:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        run = await session.get(TrainingRun, run_id)
        assert run is not None
        return run


def _with_affinity(affinity: float) -> np.ndarray:
    rows = np.stack([row_of(np.random.default_rng(seed)) for seed in range(50)])
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

    champion = await champions.load_champion(databases)
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
    assert await champions.load_champion(databases) is None


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
    current = await champions.load_champion(databases)
    assert current is not None

    second = await training.train(databases, current=current, durations={})

    assert second.status == "rejected"
    assert second.message.startswith(f"kept learned-{first.run_id}:")
    assert second.metrics["champion"]["auc_value"] > second.metrics["challenger"]["auc_value"]
    assert second.ranker is None and second.model_path is None
    assert not (databases.settings.models_dir / f"ranker-{second.run_id}.json").exists()
    assert (await _run(databases, first.run_id)).status == "champion"
    stays = await champions.load_champion(databases)
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
    assert await champions.load_champion(databases) is None


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
