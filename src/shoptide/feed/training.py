"""Retraining the For You ranker from the event log, champion against challenger.

Every impression the feed logs carries the ranker's features as they were when the item was
shown; what the viewer did next gives its labels (feed.examples). A training run reads the
last WINDOW of the log from every cell, fits a `LearnedRanker` (the challenger) on the older
examples in a worker process (feed.fitting), and judges it beside the live ranker (the
champion) on the newest ones. The challenger replaces the champion only when
`ranking.beats` says so; each run's progress, metrics and verdict are kept in a
`TrainingRun` row (global cell). The newest run with status "champion" is the live ranker
(feed.champion); earlier champions keep their status, as history.

The same run learns each market's "more like this" (`SimilarItems`) and "liked by the same
people" (`EmbeddedItems`) from what viewers engaged with, saved beside the models.

Several app processes share the work: every few minutes each one tries to claim a run
(`champion.claim_run`: only when no run started within the interval, decided under a
lock), the one that gets it trains, and every process installs the newest champion and
neighbours it finds (`champion.install_latest`), so a new ranker reaches them all within
one poll. This module is a background job: it owns its units of work.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import update

from shoptide.db import Databases, utcnow
from shoptide.feed import champion as champions
from shoptide.feed import examples as examples_log
from shoptide.feed import ranking
from shoptide.feed.candidates import EmbeddedItems, SimilarItems
from shoptide.feed.engine import FeedEngine
from shoptide.feed.examples import Durations, Examples, TrainingData
from shoptide.feed.fitting import Worker, fit_in_worker, neighbours_in_worker
from shoptide.feed.models import TrainingRun
from shoptide.feed.ranking import LearnedRanker, Ranker
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=30)  # how far back the log is read
WRITE_EVERY_S = 1.0  # at most one progress write a second (pages poll the row)
MAX_POLL_S = 300.0  # processes look for a run to claim, and for new models, this often
# Percent of the run at the end of each stage; fitting reports per boosting round between.
LOADED, FITTED, LEARNED_SIMILAR = 10, 85, 90

ProgressCallback = Callable[[int, str], None]  # (percent, stage)


async def load_examples(
    databases: Databases, *, durations: Durations, since: datetime
) -> TrainingData:
    """The labelled impressions and engaged sequences of every cell since `since`."""
    shown: list[examples_log.Shown] = []
    acted: list[examples_log.Acted] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            cell_shown, cell_acted = await examples_log.read_cell(session, since)
        shown += cell_shown
        acted += cell_acted
    # the joins are plain Python over every row: off the event loop
    examples = await asyncio.to_thread(examples_log.build_examples, shown, acted, durations)
    sequences = await asyncio.to_thread(examples_log.engaged_sequences, acted, durations)
    return TrainingData(examples, sequences)


# --- the run --------------------------------------------------------------------------------


@dataclass
class TrainingResult:
    run_id: int
    status: str  # feed.models.TRAINING_STATUSES, never "running"
    message: str
    metrics: dict[str, Any]
    ranker: LearnedRanker | None = None  # the new champion, when the challenger won
    model_path: Path | None = None
    # market -> "more like this" and "liked by the same people", to install into the
    # engine's candidate sources (whatever the verdict)
    similar: dict[str, SimilarItems] = field(default_factory=dict)
    embedded: dict[str, EmbeddedItems] = field(default_factory=dict)


async def _update_run(databases: Databases, run_id: int, **values: Any) -> None:
    """A short transaction of its own: never held open while fitting."""
    async with databases.session(GLOBAL_CELL) as session:
        await session.execute(update(TrainingRun).where(TrainingRun.id == run_id).values(**values))


async def _start_run(databases: Databases) -> int:
    async with databases.session(GLOBAL_CELL) as session:
        run = TrainingRun(status="running", progress=0)
        session.add(run)
        await session.flush()
        return run.id


class _Reporter:
    """Progress to the caller at once, and to the run's row at most once a second."""

    def __init__(
        self, databases: Databases, run_id: int, on_progress: ProgressCallback | None
    ) -> None:
        self.databases, self.run_id, self.on_progress = databases, run_id, on_progress
        self.stage = ""
        self._written = (-1, float("-inf"))  # (percent, loop time)

    async def __call__(self, percent: int, stage: str | None = None) -> None:
        self.stage = stage or self.stage
        if self.on_progress is not None:
            self.on_progress(percent, self.stage)
        now = asyncio.get_running_loop().time()
        last_percent, last_at = self._written
        if percent != last_percent and (stage is not None or now - last_at >= WRITE_EVERY_S):
            self._written = (percent, now)
            await _update_run(self.databases, self.run_id, progress=percent)


async def _finish(
    databases: Databases,
    run_id: int,
    *,
    status: str,
    message: str,
    metrics: dict[str, Any] | None = None,
    model_path: Path | None = None,
) -> TrainingResult:
    await _update_run(
        databases,
        run_id,
        status=status,
        message=message[:300],
        metrics=metrics or {},
        model_path=str(model_path or ""),
        progress=100,
        finished_at=utcnow(),
    )
    return TrainingResult(run_id, status, message, metrics or {}, model_path=model_path)


def not_ready(training: Examples, total: int, needed: int) -> str | None:
    """Why there is nothing to fit yet, in plain words; None when there is."""
    if total < needed:
        return f"not enough feed traffic yet: {total} shown items, {needed} needed"
    if not training.engaged.any():
        return f"not enough feed traffic yet: no engagement among {len(training)} shown items"
    if not training.bought.any():
        return f"not enough feed traffic yet: no purchase among {len(training)} shown items"
    return None


def _verdict(challenger: dict[str, float], champion: dict[str, float], name: str) -> str:
    against = f"value AUC {challenger['auc_value']:.3f} against {champion['auc_value']:.3f}"
    if ranking.beats(challenger, champion):
        return f"the new ranker ranks better ({against}): it replaces {name}"
    if challenger["auc_value"] > champion["auc_value"]:
        return f"kept {name}: the new ranker predicts purchases worse ({against})"
    return f"kept {name}: the new ranker ranks no better ({against})"


async def train(
    databases: Databases,
    *,
    current: Ranker,
    durations: Durations,
    run_id: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> TrainingResult:
    """One training run: fit a challenger on the log's older examples, judge it beside
    `current` on the newest, and keep the better (see the module's docstring).

    `durations` is (market, item key) -> video length in ms (durations_of the catalog);
    `run_id` names a "running" TrainingRun made by the caller (else one is made);
    `on_progress(percent, stage)` hears the run's progress. An error ends the run as
    "failed" and is logged, not raised: a background loop keeps going.

    The result's `similar` and `embedded` (per market) are learned whatever the verdict,
    with no champion/challenger gate: it is a candidate source, and the ranker decides
    which of its proposals a viewer sees."""
    if run_id is None:
        run_id = await _start_run(databases)
    report = _Reporter(databases, run_id, on_progress)
    worker = Worker()
    try:
        return await _train(databases, run_id, current, durations, report, worker)
    except asyncio.CancelledError:  # the process is stopping: say so on the row, then stop
        await _finish_quietly(databases, run_id, "interrupted: the process stopped")
        raise
    except Exception as exc:
        log.exception("feed training failed", run_id=run_id)
        return await _finish(databases, run_id, status="failed", message=f"failed: {exc}")
    finally:
        worker.close()


async def _finish_quietly(databases: Databases, run_id: int, message: str) -> None:
    try:
        await _finish(databases, run_id, status="failed", message=message)
    except Exception:  # shutting down: the database may be gone already
        log.exception("could not mark the training run failed", run_id=run_id)


async def _train(
    databases: Databases,
    run_id: int,
    current: Ranker,
    durations: Durations,
    report: _Reporter,
    worker: Worker,
) -> TrainingResult:
    await report(0, "loading")
    data = await load_examples(databases, durations=durations, since=utcnow() - WINDOW)
    await report(LOADED, "fitting")
    examples = data.examples
    training, held_out = examples.split()
    reason = not_ready(training, len(examples), databases.settings.feed_min_examples)
    challenger = None
    if reason is None:

        async def fitting(percent: int) -> None:
            await report(LOADED + (FITTED - LOADED) * percent // 100)

        challenger = await worker.call(
            fit_in_worker,
            training.features,
            training.engaged,
            training.bought,
            champions.champion_name(run_id),
            ranking.ROUNDS,
            on_percent=fitting,
        )
    await report(FITTED, "learning similar items")
    similar, embedded = (
        await worker.call(neighbours_in_worker, data.sequences) if data.sequences else ({}, {})
    )
    if similar:
        path = champions.neighbours_path(databases.settings.models_dir, run_id)
        await asyncio.to_thread(champions.save_neighbours, path, similar, embedded)
    if challenger is None:
        assert reason is not None
        result = await _finish(
            databases,
            run_id,
            status="rejected",
            message=reason,
            metrics={"examples": len(examples)},
        )
    else:
        await report(LEARNED_SIMILAR, "judging")
        result = await _judge(databases, run_id, challenger, current, training, held_out)
    await report(100, "done")
    result.similar, result.embedded = similar, embedded
    return result


async def _judge(
    databases: Databases,
    run_id: int,
    challenger: LearnedRanker,
    current: Ranker,
    training: Examples,
    held_out: Examples,
) -> TrainingResult:
    """Both rankers on the same held-out examples; the challenger is saved if it wins."""

    def scores(ranker: Ranker) -> dict[str, float]:
        return ranking.judge(
            ranker, held_out.features, held_out.engaged, held_out.bought, held_out.prices
        )

    challenger_scores = await asyncio.to_thread(scores, challenger)
    champion_scores = await asyncio.to_thread(scores, current)
    metrics = {
        "challenger": challenger_scores,
        "champion": champion_scores,
        "champion_name": current.name,
        "examples": len(training) + len(held_out),
        "held_out": len(held_out),
    }
    message = _verdict(challenger_scores, champion_scores, current.name)
    if not ranking.beats(challenger_scores, champion_scores):
        return await _finish(databases, run_id, status="rejected", message=message, metrics=metrics)
    path = databases.settings.models_dir / f"ranker-{run_id}.json"
    await asyncio.to_thread(champions.save_model, challenger, path)
    result = await _finish(
        databases, run_id, status="champion", message=message, metrics=metrics, model_path=path
    )
    result.ranker = challenger
    return result


async def engine_durations(databases: Databases, engine: FeedEngine) -> Durations:
    """Video lengths of every active market's items in the engine's catalog."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        codes = [market.code for market in await markets_service.list(session)]
    return examples_log.durations_of(
        item for code in codes for item in engine.catalog.items_in(code)
    )


async def retrain(
    databases: Databases, engine: FeedEngine, *, run_id: int | None = None
) -> TrainingResult:
    """Train against the engine's ranker now; install the winner and the neighbours."""
    result = await train(
        databases,
        current=engine.ranker,
        durations=await engine_durations(databases, engine),
        run_id=run_id,
    )
    if result.ranker is not None:
        engine.ranker = result.ranker
    # candidate sources, not rankers: no gate, the ranker decides what they propose
    engine.similar.update(result.similar)
    engine.embedded.update(result.embedded)
    log.info("feed retrained", run_id=result.run_id, status=result.status, message=result.message)
    return result


async def retrain_forever(databases: Databases, engine: FeedEngine, interval_hours: float) -> None:
    """From the start, then every poll: train if this process claims the run that is due,
    and install whatever the newest runs made."""
    every = timedelta(hours=interval_hours)
    installed: int | None = None
    while True:
        try:
            if (run_id := await champions.claim_run(databases, every=every)) is not None:
                installed = (await retrain(databases, engine, run_id=run_id)).run_id
            installed = await champions.install_latest(databases, engine, installed=installed)
        except Exception:  # the next poll tries again
            log.exception("feed retraining crashed")
        await asyncio.sleep(min(every.total_seconds() / 12, MAX_POLL_S))
