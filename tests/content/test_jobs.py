"""Transcoding outlives a crash: a job that died is started again, a clip that keeps
killing its process ends as failed, and a repeated event changes nothing."""

import asyncio
import fcntl
from datetime import timedelta

from sqlalchemy import update

from shoptide import events
from shoptide.content import jobs
from shoptide.content.models import Video
from shoptide.db import utcnow
from shoptide.events import OutboxEvent
from tests.content.conftest import load_video, wait_until_processed


async def _died_after_delivery(databases, video_id: int) -> Video:
    """As if the handler had started the job and its process died: the event is delivered,
    the video still processing, uploaded a while ago."""
    async with databases.session("main") as session:
        await session.execute(update(OutboxEvent).values(dispatched_at=utcnow()))
        await session.execute(
            update(Video)
            .where(Video.id == video_id)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    return await load_video(databases, "US", video_id)


async def test_a_transcode_that_died_with_its_process_is_started_again(studio, app, clip):
    video = await _died_after_delivery(studio.databases, (await studio.uploaded(clip))["id"])
    await app.state.dispatcher.run_once()
    assert (await load_video(studio.databases, "US", video.id)).status == "processing"

    requeued = await jobs.requeue_stalled(studio.databases)
    await app.state.dispatcher.run_once()

    assert requeued == 1
    done = await wait_until_processed(studio.databases, "US", video.id)
    assert (done.status, done.progress) == ("ready", 100)


async def test_a_transcode_running_elsewhere_is_left_alone(studio, clip):
    video = await _died_after_delivery(studio.databases, (await studio.uploaded(clip))["id"])
    lock = jobs.lock_path(studio.databases.settings, video)
    lock.parent.mkdir(parents=True, exist_ok=True)

    with lock.open("w") as held:  # another process's running job holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        requeued = await jobs.requeue_stalled(studio.databases)

    assert requeued == 0


async def test_a_clip_that_keeps_killing_its_process_ends_failed(studio, app, clip):
    video = await _died_after_delivery(studio.databases, (await studio.uploaded(clip))["id"])
    lock = jobs.lock_path(studio.databases.settings, video)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(str(jobs.MAX_ATTEMPTS))  # three attempts started, none finished

    await jobs.requeue_stalled(studio.databases)
    await app.state.dispatcher.run_once()

    failed = await wait_until_processed(studio.databases, "US", video.id)
    assert (failed.status, failed.error) == ("failed", jobs.INTERRUPTED)
    assert not lock.exists()


async def test_the_event_delivered_again_changes_nothing(studio, app, clip):
    video = await studio.publish(clip)
    playlist = studio.databases.settings.media_dir / video.playlist_path
    written = playlist.stat().st_mtime_ns

    async with studio.databases.session("main") as session:
        events.record(session, events.VideoUploaded(video_id=video.id, market="US"))
    await app.state.dispatcher.run_once()
    await asyncio.sleep(0.5)  # time for a job to start, were one started

    again = await load_video(studio.databases, "US", video.id)
    assert (again.status, again.published_at) == ("ready", video.published_at)
    assert playlist.stat().st_mtime_ns == written
