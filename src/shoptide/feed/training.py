"""Retraining the For You ranker from the event log, champion against challenger.

Every impression the feed logs carries the ranker's features as they were when the item was
shown; what the viewer did next gives its labels. A training run reads the last WINDOW of
the log from every cell, fits a `LearnedRanker` (the challenger) on the older examples in a
worker process, and judges it beside the live ranker (the champion) on the newest ones. The
challenger replaces the champion only when `ranking.beats` says so; each run's progress,
metrics and verdict are kept in a `TrainingRun` row (global cell). The newest run with
status "champion" is the live ranker; earlier champions keep their status, as history.

The same run learns each market's "more like this" (`SimilarItems`) and "liked by the same
people" (`EmbeddedItems`) from what viewers engaged with, saved beside the models.

Several app processes share the work: every few minutes each one tries to claim a run
(`claim_run`: only when no run started within the interval, decided under a lock), the
one that gets it trains, and every process installs the newest champion and neighbours
it finds (`install_latest`), so a new ranker reaches them all within one poll.
"""

import asyncio
import multiprocessing
import pickle
import queue
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import Databases, utcnow
from shoptide.feed import ranking
from shoptide.feed.candidates import MIN_SEQUENCE, EmbeddedItems, SimilarItems
from shoptide.feed.engine import FeedEngine
from shoptide.feed.items import (
    ENGAGING,
    IMPRESSION,
    PURCHASE,
    WATCH,
    FeedItem,
    is_engaged,
)
from shoptide.feed.models import FeedEvent, TrainingRun
from shoptide.feed.ranking import COLUMN, FEATURES, LearnedRanker, Ranker
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=30)  # how far back the log is read
PURCHASE_WITHIN_S = 24 * 3600.0  # a purchase this soon after an impression is its sale
HELD_OUT = 0.2  # the newest share of examples both rankers are judged on
POLL_S = 0.25  # how often the event loop looks at the worker's progress
WRITE_EVERY_S = 1.0  # at most one progress write a second (pages poll the row)
MAX_POLL_S = 300.0  # processes look for a run to claim, and for new models, this often
# Percent of the run at the end of each stage; fitting reports per boosting round between.
LOADED, FITTED, LEARNED_SIMILAR = 10, 85, 90

ProgressCallback = Callable[[int, str], None]  # (percent, stage)
# (market, item key) -> length in ms: keys repeat across cells, and so across markets
Durations = Mapping[tuple[str, str], int]


# --- examples from the event log --------------------------------------------------------


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


async def _read_cell(session: AsyncSession, since: datetime) -> tuple[list[Shown], list[Acted]]:
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


async def load_examples(
    databases: Databases, *, durations: Durations, since: datetime
) -> TrainingData:
    """The labelled impressions and engaged sequences of every cell since `since`."""
    shown: list[Shown] = []
    acted: list[Acted] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            cell_shown, cell_acted = await _read_cell(session, since)
        shown += cell_shown
        acted += cell_acted
    # the joins are plain Python over every row: off the event loop
    examples = await asyncio.to_thread(build_examples, shown, acted, durations)
    sequences = await asyncio.to_thread(engaged_sequences, acted, durations)
    return TrainingData(examples, sequences)


def durations_of(items: Iterable[FeedItem]) -> Durations:
    """(market, item key) -> video length in ms, for the items that have one."""
    return {(item.market, item.key): item.duration_ms for item in items if item.duration_ms > 0}


# --- the worker process -------------------------------------------------------------------

# The worker's end of the progress queue (set in the worker process only).
_progress_queue: Any = None


def _install_queue(progress: Any) -> None:
    global _progress_queue
    _progress_queue = progress


def _fit_in_worker(
    features: np.ndarray, engaged: np.ndarray, bought: np.ndarray, name: str, rounds: int
) -> LearnedRanker:
    # The parent's ROUNDS (tests lower it); this process is the run's alone.
    ranking.ROUNDS = rounds
    reported = -1

    def on_round(done: int, total: int) -> None:
        nonlocal reported
        percent = 100 * done // total
        if percent != reported and _progress_queue is not None:  # about 100 messages, not 400
            reported = percent
            _progress_queue.put(percent)

    return ranking.fit(features, engaged, bought, name=name, on_round=on_round)


def _neighbours_in_worker(
    sequences: dict[str, list[list[str]]],
) -> tuple[dict[str, SimilarItems], dict[str, EmbeddedItems]]:
    similar = {market: SimilarItems.fit(found) for market, found in sequences.items()}
    embedded = {
        market: learned
        for market, found in sequences.items()
        if (learned := EmbeddedItems.fit(found)) is not None
    }
    return similar, embedded


T = TypeVar("T")


class _Worker:
    """One process for the CPU-heavy fits, so the event loop never blocks. Forked from a
    fork server, not from this process: forking a process with running threads (database
    drivers) can deadlock; the server is single-threaded and has imported this module once
    (seconds: LightGBM, SciPy), so each later run's process starts at once."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])  # in effect when the server starts
            # a queue reaches a worker only through its start (initializer), not a call
            self._queue = context.Queue()
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_install_queue, initargs=(self._queue,)
            )
        return self._pool

    async def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_percent: Callable[[int], Awaitable[None]] | None = None,
    ) -> T:
        """fn(*args) in the worker; on_percent hears what it puts on the progress queue."""
        pool = self._start()
        future = asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        while True:
            done, _ = await asyncio.wait({future}, timeout=POLL_S)
            for percent in self._drain():
                if on_percent is not None:
                    await on_percent(percent)
            if done:
                return future.result()

    def _drain(self) -> list[int]:
        found = []
        while True:
            try:
                found.append(self._queue.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        # never wait here: a cancelled run leaves its fit to finish and the process to exit
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._queue.close()


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
    worker = _Worker()
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
    worker: _Worker,
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
            _fit_in_worker,
            training.features,
            training.engaged,
            training.bought,
            champion_name(run_id),
            ranking.ROUNDS,
            on_percent=fitting,
        )
    await report(FITTED, "learning similar items")
    similar, embedded = (
        await worker.call(_neighbours_in_worker, data.sequences) if data.sequences else ({}, {})
    )
    if similar:
        path = neighbours_path(databases.settings.models_dir, run_id)
        await asyncio.to_thread(_save_neighbours, path, similar, embedded)
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
    await asyncio.to_thread(_save, challenger, path)
    result = await _finish(
        databases, run_id, status="champion", message=message, metrics=metrics, model_path=path
    )
    result.ranker = challenger
    return result


def _save(ranker: LearnedRanker, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ranker.save(path)


def champion_name(run_id: int) -> str:
    """The name a run's ranker carries, so a process knows which one it has."""
    return f"learned-{run_id}"


Neighbours = tuple[dict[str, SimilarItems], dict[str, EmbeddedItems]]


def neighbours_path(models_dir: Path, run_id: int) -> Path:
    return models_dir / f"neighbours-{run_id}.pickle"


def _save_neighbours(
    path: Path, similar: dict[str, SimilarItems], embedded: dict[str, EmbeddedItems]
) -> None:
    # pickle: our own objects (numpy, scipy, a faiss index's bytes) written by this app
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(pickle.dumps((similar, embedded), protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)  # readers never see half a file


def _load_neighbours(path: Path) -> Neighbours | None:
    if not path.is_file():
        return None
    found: Neighbours = pickle.loads(path.read_bytes())
    return found


# --- the live ranker --------------------------------------------------------------------


async def load_champion(databases: Databases) -> LearnedRanker | None:
    """The newest champion whose model file is there (and fits today's features)."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        paths = list(
            await session.scalars(
                select(TrainingRun.model_path)
                .where(TrainingRun.status == "champion")
                .order_by(TrainingRun.id.desc())
            )
        )
    for name in paths:
        try:
            found = await asyncio.to_thread(_load_if_there, name)
        except ValueError:  # trained on other features: an older one may still fit
            log.warning("champion model unusable", path=name, exc_info=True)
            continue
        if found is not None:
            return found
    return None


def _load_if_there(name: str) -> LearnedRanker | None:
    path = Path(name)
    return LearnedRanker.load(path) if name and path.is_file() else None


async def engine_durations(databases: Databases, engine: FeedEngine) -> Durations:
    """Video lengths of every active market's items in the engine's catalog."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        codes = [market.code for market in await markets_service.list(session)]
    return durations_of(item for code in codes for item in engine.catalog.items_in(code))


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


async def claim_run(databases: Databases, *, every: timedelta) -> int | None:
    """A new run's id, unless one started less than `every` ago (in any process)."""
    async with databases.session(GLOBAL_CELL) as session:
        await _serialize_claims(session)
        latest = await session.scalar(select(func.max(TrainingRun.started_at)))
        if latest is not None and latest > utcnow() - every:
            return None
        run = TrainingRun(status="running", progress=0)
        session.add(run)
        await session.flush()
        return run.id


async def _serialize_claims(session: AsyncSession) -> None:
    """SQLite writers already queue (BEGIN IMMEDIATE); PostgreSQL takes a lock held until
    the transaction ends, so two processes never both see "no recent run"."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_CLAIM_LOCK)))


_CLAIM_LOCK = 0x46454544_5452  # "FEED" "TR": the feed's training claims


async def install_latest(
    databases: Databases, engine: FeedEngine, *, installed: int | None = None
) -> int | None:
    """Put the newest champion and the newest neighbours (another process's training,
    or the CLI's) into this engine; returns the id of the run whose neighbours it holds."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        newest_champion = await session.scalar(
            select(func.max(TrainingRun.id)).where(TrainingRun.status == "champion")
        )
        run_ids = list(
            await session.scalars(
                select(TrainingRun.id)
                .where(TrainingRun.status.in_(("champion", "rejected")))
                .order_by(TrainingRun.id.desc())
            )
        )
    stale = newest_champion is not None and engine.ranker.name != champion_name(newest_champion)
    if stale and (champion := await load_champion(databases)) is not None:
        engine.ranker = champion
    for run_id in run_ids:
        if run_id == installed:
            return installed
        path = neighbours_path(databases.settings.models_dir, run_id)
        found = await asyncio.to_thread(_load_neighbours, path)
        if found is not None:
            engine.similar.update(found[0])
            engine.embedded.update(found[1])
            return run_id
    return installed


async def retrain_forever(databases: Databases, engine: FeedEngine, interval_hours: float) -> None:
    """From the start, then every poll: train if this process claims the run that is due,
    and install whatever the newest runs made."""
    every = timedelta(hours=interval_hours)
    installed: int | None = None
    while True:
        try:
            if (run_id := await claim_run(databases, every=every)) is not None:
                installed = (await retrain(databases, engine, run_id=run_id)).run_id
            installed = await install_latest(databases, engine, installed=installed)
        except Exception:  # the next poll tries again
            log.exception("feed retraining crashed")
        await asyncio.sleep(min(every.total_seconds() / 12, MAX_POLL_S))
