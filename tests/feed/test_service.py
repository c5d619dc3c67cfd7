"""The feed's persistence: the event log, follows and stages."""

from datetime import UTC, datetime

from sqlalchemy import select

from shoptide.feed import service
from shoptide.feed.items import (
    IMPRESSION,
    WATCH,
    Signal,
)
from shoptide.feed.ladder import StageChange
from shoptide.feed.models import FeedEvent

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


def _signal(key: str, action: str, *, at: float = T0, value: float = 0.0, market: str = "US"):
    return Signal("user:1", market, key, action, at, value=value)


# --- the event log ------------------------------------------------------------------------


async def test_signals_come_back_oldest_first_from_the_time_asked(databases):
    later = Signal("visitor:abc", "US", "video:2", WATCH, T0 + 60, value=4200.0)
    shown = Signal("user:12", "US", "video:2", IMPRESSION, T0 + 30, stage=1)
    before = Signal("user:12", "US", "video:1", IMPRESSION, T0 - 3600)
    async with databases.session("main") as s:
        await service.record(
            s,
            [later, shown, before],
            page_id="page-1",
            served={"video:2": service.ServedLog(position=3, source="fresh", features=[0.5, 2.0])},
        )

    async with databases.session("main", write=False) as s:
        replayed = await service.recent_signals(s, since=datetime.fromtimestamp(T0, UTC))
        rows = (await s.scalars(select(FeedEvent).order_by(FeedEvent.at))).all()

    assert replayed == [shown, later]
    impression = next(r for r in rows if r.item_key == "video:2" and r.action == IMPRESSION)
    assert (impression.page_id, impression.position, impression.source) == ("page-1", 3, "fresh")
    assert impression.features == [0.5, 2.0]
    assert impression.at == datetime.fromtimestamp(T0 + 30, UTC)
    watch = next(r for r in rows if r.action == WATCH)
    assert (watch.position, watch.source, watch.features) == (3, "fresh", None)


# --- follows ------------------------------------------------------------------------------


async def test_following_twice_counts_once_and_unfollowing_takes_it_back(databases):
    async with databases.session("main") as s:
        assert await service.follow(s, follower_id=1, host_id=50, market="US") is True
        assert await service.follow(s, follower_id=1, host_id=50, market="US") is False
        assert await service.follow(s, follower_id=1, host_id=51, market="US") is True
        assert await service.follow(s, follower_id=2, host_id=50, market="US") is True

    async with databases.session("main") as s:
        assert await service.followed_hosts(s, follower_id=1) == frozenset({50, 51})
        assert await service.follower_count(s, host_id=50) == 2
        assert await service.unfollow(s, follower_id=1, host_id=50) is True
        assert await service.unfollow(s, follower_id=1, host_id=50) is False
        assert await service.followed_hosts(s, follower_id=1) == frozenset({51})
        assert await service.follower_count(s, host_id=50) == 1


# --- stages -------------------------------------------------------------------------------


def _stage(key: str, stage: int, status: str, at: float, reason: str = "") -> StageChange:
    return StageChange(key, "US", 7, stage, status, reason, at)


async def test_a_stage_saved_again_replaces_the_item_s_earlier_one(databases):
    async with databases.session("main") as s:
        await service.save_stages(
            s, [_stage("video:1", 0, "growing", T0), _stage("video:2", 0, "growing", T0)]
        )
    promoted = _stage("video:1", 1, "growing", T0 + 10, "reached the second pool")
    stopped = _stage("video:2", 0, "stopped", T0 + 20, "few viewers finished it")
    async with databases.session("main") as s:
        await service.save_stages(s, [_stage("video:1", 0, "growing", T0 + 5), promoted, stopped])

    async with databases.session("main", write=False) as s:
        assert await service.load_stages(s) == [promoted, stopped]
