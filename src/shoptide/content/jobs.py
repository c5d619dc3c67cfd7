"""Transcoding jobs: each runs as an asyncio task of the process that got the event.

Why not inline in the event handler: the dispatcher runs a batch's handlers one after the
other, so a transcode inline would hold every later event of the cell (payments, refunds,
sales counters) for as long as ffmpeg runs, minutes for a long clip. The handler starts a
job here and returns at once.

Why a file lock: once the event is recorded as delivered, the outbox no longer stands for
the unfinished work. An exclusive `flock` on `data_dir/jobs/<video folder>.lock`, held by
the process running the job, says so instead, and the OS drops it if that process dies.
Two processes (`serve --workers 2`, or a web process beside `shoptide worker`) never
transcode one video at once, and `requeue_stalled` (run by the background sweep at start
and every half minute) tells a running job from a dead one: a processing video whose lock
nobody holds gets its VideoUploaded event again. The lock file counts attempts, so a clip
that brings its process down again and again ends as failed, with a message.
"""

import asyncio
import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import structlog

from shoptide import events
from shoptide.content import media, service
from shoptide.content.models import Video
from shoptide.db import Databases, utcnow
from shoptide.errors import InvalidInput
from shoptide.settings import Settings

log = structlog.get_logger(__name__)

MAX_CONCURRENT = 2  # ffmpeg uses every core: more at once only splits them
MAX_ATTEMPTS = 3
STALLED_AFTER = timedelta(minutes=2)  # an upload's own event gets this long to start its job
PROGRESS_EVERY_S = 1.0  # the upload page polls once a second
HLS_DIR = "hls"
POSTER = "poster.jpg"

INTERRUPTED = (
    "Processing was interrupted too many times. Try a shorter or smaller video, "
    "or upload it again later."
)
UNEXPECTED = "Something went wrong while processing this video. Please upload it again."


def lock_path(settings: Settings, video: Video) -> Path:
    return settings.data_dir / "jobs" / f"{Path(video.upload_path).parent.name}.lock"


@contextlib.contextmanager
def _claim(path: Path) -> Iterator[int | None]:
    """Hold the job's lock; yields this attempt's number, or None when another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        done = os.read(fd, 16).decode(errors="replace").strip()
        attempt = (int(done) if done.isdigit() else 0) + 1
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, str(attempt).encode())
        yield attempt
    finally:
        os.close(fd)  # closing releases the lock


def _held(path: Path) -> bool:
    """Whether a running job holds the lock (a lock file nobody holds is a dead job's)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


async def _load(databases: Databases, cell: str, video_id: int) -> Video | None:
    async with databases.session(cell, write=False) as session:
        return await session.get(Video, video_id)


async def transcode_video(databases: Databases, cell: str, video_id: int) -> None:
    """Make the video's renditions and poster, then mark it ready or failed. Idempotent: a
    video that is no longer processing, or that another process is on, is left alone."""
    video = await _load(databases, cell, video_id)
    if video is None or video.status != "processing":
        return
    lock = lock_path(databases.settings, video)
    with _claim(lock) as attempt:
        if attempt is None:
            return  # another process is on it
        video = await _load(databases, cell, video_id)  # it may have finished meanwhile
        if video is not None and video.status == "processing" and attempt > MAX_ATTEMPTS:
            await _fail(databases, cell, video_id, INTERRUPTED)
        elif video is not None and video.status == "processing":
            await _process(databases, cell, video)
    # The video is final now (a job that stops half-way raises and keeps its attempt count).
    lock.unlink(missing_ok=True)


async def _fail(databases: Databases, cell: str, video_id: int, message: str) -> None:
    async with databases.session(cell) as session:
        await service.fail(session, video_id, message=message)


async def _process(databases: Databases, cell: str, video: Video) -> None:
    media_dir = databases.settings.media_dir
    source = media_dir / video.upload_path
    folder = Path(video.upload_path).parent
    try:
        published = await _make_media(databases, cell, video, source, media_dir / folder)
    except (media.TranscodeFailed, InvalidInput) as exc:
        await _fail(databases, cell, video.id, exc.args[0])
        return
    except Exception:  # ffmpeg missing, disk full...: the merchant still gets an answer
        log.exception("transcode failed", video_id=video.id, cell=cell)
        await _fail(databases, cell, video.id, UNEXPECTED)
        return
    if not published:  # removed while it was processing: drop what the job wrote
        await asyncio.to_thread(shutil.rmtree, media_dir / folder, True)


async def _make_media(
    databases: Databases, cell: str, video: Video, source: Path, folder: Path
) -> bool:
    facts = await media.probe(source)
    out_dir = folder / HLS_DIR
    await asyncio.to_thread(shutil.rmtree, out_dir, True)  # a restarted job starts clean
    loop = asyncio.get_running_loop()
    written_at = 0.0

    async def report(percent: int) -> None:
        nonlocal written_at
        if loop.time() - written_at >= PROGRESS_EVERY_S:
            written_at = loop.time()
            async with databases.session(cell) as session:
                await service.set_progress(session, video.id, percent)

    renditions = await media.transcode(
        source, out_dir, facts, report=report, timeout_s=120 + facts.duration_ms / 100
    )
    await media.poster(source, folder / POSTER, facts, renditions[0])
    relative = Path(video.upload_path).parent
    async with databases.session(cell) as session:
        return await service.publish(
            session,
            video.id,
            playlist_path=str(relative / HLS_DIR / media.MASTER_PLAYLIST),
            poster_path=str(relative / POSTER),
            size=renditions[0],
        )


class TranscodeJobs:
    """This process's running transcodes, at most MAX_CONCURRENT at a time."""

    def __init__(self, databases: Databases, *, concurrency: int = MAX_CONCURRENT) -> None:
        self.databases = databases
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[tuple[str, int], asyncio.Task[None]] = {}  # also keeps tasks alive

    def start(self, cell: str, video_id: int) -> None:
        key = (cell, video_id)
        if key in self._running:
            return
        task = asyncio.create_task(self._run(cell, video_id), name=f"transcode {cell}/{video_id}")
        self._running[key] = task
        task.add_done_callback(lambda _: self._running.pop(key, None))

    async def _run(self, cell: str, video_id: int) -> None:
        async with self._slots:
            try:
                await transcode_video(self.databases, cell, video_id)
            except Exception:  # a task's error has no one to go to but the log
                log.exception("transcode job crashed", video_id=video_id, cell=cell)


async def requeue_stalled(databases: Databases) -> int:
    """Give each processing video whose job died (nobody holds its lock) its event again;
    returns how many. Jobs that keep dying end as failed after MAX_ATTEMPTS."""
    requeued = 0
    for cell in databases.each_cell():
        async with databases.session(cell) as session:
            for video in await service.processing_since(session, before=utcnow() - STALLED_AFTER):
                if _held(lock_path(databases.settings, video)):
                    continue
                events.record(
                    session, events.VideoUploaded(video_id=video.id, market=video.market_code)
                )
                requeued += 1
    return requeued
