"""The live ranker and the neighbours installed beside it: the files a training run
saves, the newest champion a process loads, and the claim that lets one process of many
train when a run is due.

The newest run with status "champion" is the live ranker; earlier champions keep their
status, as history. Every process installs the newest champion and neighbours it finds
(`install_latest`), so a new ranker reaches them all within one poll.
"""

import asyncio
import pickle
from datetime import timedelta
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import Databases, utcnow
from shoptide.feed.candidates import EmbeddedItems, SimilarItems
from shoptide.feed.engine import FeedEngine
from shoptide.feed.models import TrainingRun
from shoptide.feed.ranking import LearnedRanker
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)


def save_model(ranker: LearnedRanker, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ranker.save(path)


def champion_name(run_id: int) -> str:
    """The name a run's ranker carries, so a process knows which one it has."""
    return f"learned-{run_id}"


Neighbours = tuple[dict[str, SimilarItems], dict[str, EmbeddedItems]]


def neighbours_path(models_dir: Path, run_id: int) -> Path:
    return models_dir / f"neighbours-{run_id}.pickle"


def save_neighbours(
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
