"""The live ranker: one process of many claims a due run, and every process installs the
newest champion and neighbours it finds."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from shoptide.db import utcnow
from shoptide.feed import champion, training
from shoptide.feed.engine import FeedEngine
from shoptide.feed.features import MemoryFeatures
from shoptide.feed.models import TrainingRun
from shoptide.settings import GLOBAL_CELL
from tests.feed.training_support import log_traffic, quick_and_clean

pytestmark = pytest.mark.usefixtures(quick_and_clean.__name__)


async def test_one_process_claims_a_due_run_and_the_others_wait_for_the_next(databases):
    every = timedelta(hours=6)

    first = await champion.claim_run(databases, every=every)
    second = await champion.claim_run(databases, every=every)
    async with databases.session(GLOBAL_CELL) as session:  # six hours and a bit later
        await session.execute(
            update(TrainingRun).values(started_at=utcnow() - every - timedelta(minutes=1))
        )
    later = await champion.claim_run(databases, every=every)

    assert first is not None and second is None
    assert later is not None and later != first


async def test_other_processes_install_the_newest_champion_and_neighbours(databases):
    await log_traffic(databases, shown=600)
    trainer = FeedEngine(MemoryFeatures())
    result = await training.retrain(databases, trainer)
    assert result.status == "champion"
    elsewhere = FeedEngine(MemoryFeatures())  # another app process, still on the prior

    installed = await champion.install_latest(databases, elsewhere)
    similar = elsewhere.similar["US"]
    again = await champion.install_latest(databases, elsewhere, installed=installed)

    assert installed == result.run_id and again == installed
    assert elsewhere.ranker.name == champion.champion_name(result.run_id)
    assert set(elsewhere.similar) == set(result.similar)
    assert elsewhere.similar["US"] is similar  # nothing read again when nothing is new
