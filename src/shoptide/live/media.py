"""Live video through nginx with the RTMP module: its configuration, what its callbacks do,
the host's encoder settings, and the replay.

nginx ingests RTMP from the host's encoder and asks the hooks (media_api.py) whether the
stream key may publish; it writes HLS for viewers and records the stream, and when the
recording is closed the app remuxes it to an MP4 replay under media_dir/replays.
"""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import Databases, utcnow
from shoptide.errors import InvalidInput, InvalidTransition
from shoptide.live import rooms
from shoptide.live.models import LiveRoom, RoomPin
from shoptide.media import media_url
from shoptide.settings import Settings

log = structlog.get_logger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates" / "media"
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
RTMP_APPLICATION = "live"
HOOK_PATH = "/media-hooks/rtmp"
PREFIX_FOLDERS = ("hls", "records", "logs", "tmp")
DROP_TIMEOUT_SECONDS = 3.0
REMUX_TIMEOUT_SECONDS = 600.0
# how long an HLS link works: longer than any live, short enough to expire
HLS_LINK_SECONDS = 12 * 3600
REPLAYS = "replays"  # under media_dir, served at /media/replays/...
# a recording's name with `record_unique on`: ROOM-UNIXTIME.flv
RECORDING_NAME = re.compile(r"^([a-z]{2}-[0-9a-f]{10})-\d+\.flv$")
# a recording of a room still waiting or rehearsing is not a replay
REPLAYABLE_STATUSES = ("live", "ended")


class ReplayFailed(Exception):
    """ffmpeg could not make the replay; `args[0]` says why."""


# --- the media server's configuration ------------------------------------------------------


def hook_token(settings: Settings) -> str:
    """What nginx puts in the callback URLs so that only it can turn rooms live."""
    if settings.media_hook_secret:
        return settings.media_hook_secret
    return hmac.new(
        settings.secret_key.encode(), b"shoptide media hooks", hashlib.sha256
    ).hexdigest()


def hook_token_matches(settings: Settings, token: str) -> bool:
    return hmac.compare_digest(hook_token(settings).encode(), token.encode())


def hls_secret(settings: Settings) -> str:
    """The secret of HLS links (nginx's secure_link): only the app hands out working ones."""
    return hmac.new(settings.secret_key.encode(), b"shoptide hls links", hashlib.sha256).hexdigest()


def nginx_config(
    settings: Settings,
    *,
    prefix: Path,
    app_url: str,
    user: str | None = None,
) -> str:
    """A complete nginx.conf: RTMP ingest with key checks, HLS, recordings, and an HTTP
    server that serves the HLS and passes everything else to the app at `app_url`."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app_url = app_url.rstrip("/")
    return environment.get_template("nginx.conf.jinja").render(
        prefix=prefix.resolve(),
        rtmp_port=settings.rtmp_port,
        http_port=settings.media_http_port,
        app_url=app_url,
        hook_url=app_url + HOOK_PATH,
        hook_token=hook_token(settings),
        hls_secret=hls_secret(settings),
        max_body_bytes=settings.max_body_bytes,
        user=user,
    )


def install_nginx_config(config: str, prefix: Path, *, worker_user: str | None = None) -> Path:
    """Writes nginx.conf into `prefix` with the folders it names. nginx creates hls/ for its
    workers but not records/: started as root, the workers (`worker_user`, else nobody) must
    own it."""
    for folder in PREFIX_FOLDERS:
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(prefix / "records", user=worker_user or "nobody")
    target = prefix / "nginx.conf"
    target.write_text(config, encoding="utf-8")
    return target


def nginx_command(prefix: Path) -> list[str]:
    return ["nginx", "-p", f"{prefix.resolve()}/", "-c", "nginx.conf", "-e", "stderr"]


# --- sessions and side effects of the stream ------------------------------------------------


def room_session(
    databases: Databases, public_name: str, *, write: bool = True
) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
    """A unit of work in the cell of the room's market (NotFound for a malformed name)."""
    cell = databases.settings.cell_of_market(rooms.market_of(public_name))
    return databases.session(cell, write=write)


async def drop_publisher(settings: Settings, public_name: str) -> None:
    """Best effort: ask nginx to disconnect the room's encoder. The room has ended anyway; a
    still-connected encoder is refused at its next publish, its key being revoked."""
    if not settings.media_control_url:
        return
    url = f"{settings.media_control_url.rstrip('/')}/drop/publisher"
    try:
        async with httpx.AsyncClient(timeout=DROP_TIMEOUT_SECONDS) as client:
            response = await client.get(url, params={"app": RTMP_APPLICATION, "name": public_name})
            response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("could not drop the encoder", room=public_name, error=repr(exc))


# --- recordings become replays --------------------------------------------------------------


def recording_of(settings: Settings, public_name: str, path: str) -> Path:
    """The recording nginx names, if it is one of this room's files in the records folder:
    the hook must not become a way to read other files."""
    recording = Path(path).resolve()
    records = (settings.media_server_root / "records").resolve()
    match = RECORDING_NAME.match(recording.name)
    if recording.parent != records or match is None or match.group(1) != public_name:
        raise InvalidInput("That is not a recording of this room.")
    return recording


async def accept_recording(session: AsyncSession, room: LiveRoom, recording: Path) -> bool:
    """True when the recording is to become the room's replay (now "processing"); the
    recording of a rehearsal nobody saw is deleted."""
    if room.status not in REPLAYABLE_STATUSES:
        await asyncio.to_thread(recording.unlink, missing_ok=True)
        return False
    room.replay_status = "processing"
    await session.flush()
    return True


async def remux_to_mp4(source: Path, target: Path) -> None:
    """Stream copy into an MP4 whose index is up front, so players start before the end."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    process = await asyncio.create_subprocess_exec(
        *("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)),
        *("-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(partial)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await asyncio.wait_for(process.communicate(), REMUX_TIMEOUT_SECONDS)
    except BaseException as exc:  # a timeout or a cancelled task: leave no ffmpeg behind
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        partial.unlink(missing_ok=True)
        if isinstance(exc, TimeoutError):
            took = f"Remuxing {source.name} took over {REMUX_TIMEOUT_SECONDS:.0f} s."
            raise ReplayFailed(took) from None
        raise
    if process.returncode != 0:
        partial.unlink(missing_ok=True)
        detail = errors.decode(errors="replace").strip()[-300:]
        raise ReplayFailed(f"ffmpeg could not remux {source.name}: {detail}")
    partial.replace(target)


async def make_replay(databases: Databases, public_name: str, recording: Path) -> None:
    """Runs after the hook answered nginx: remux, then mark the replay ready or failed."""
    relative = f"{REPLAYS}/{recording.stem}.mp4"
    try:
        await remux_to_mp4(recording, databases.settings.media_dir / relative)
    except ReplayFailed as exc:
        log.error("replay failed", room=public_name, error=str(exc))
        async with room_session(databases, public_name) as session:
            (await rooms.get(session, public_name)).replay_status = "failed"
        return
    async with room_session(databases, public_name) as session:
        room = await rooms.get(session, public_name)
        room.replay_status, room.replay_path = "ready", relative
    await asyncio.to_thread(recording.unlink, missing_ok=True)


async def recover_replays(databases: Databases, *, now: datetime | None = None) -> int:
    """Replays left "processing" by a process that died mid-remux: remux their recording
    again, or mark them failed when it is gone. Returns how many were taken up."""
    settled_before = (now or utcnow()) - timedelta(seconds=2 * REMUX_TIMEOUT_SECONDS)
    records = databases.settings.media_server_root / "records"
    stuck: list[str] = []
    for cell in databases.each_cell():
        async with databases.session(cell, write=False) as session:
            stuck += await session.scalars(
                select(LiveRoom.public_name).where(
                    LiveRoom.replay_status == "processing", LiveRoom.ended_at < settled_before
                )
            )
    for public_name in stuck:
        recordings = sorted(records.glob(f"{public_name}-*.flv"))
        if recordings:
            await make_replay(databases, public_name, recordings[-1])
            continue
        log.error("replay lost its recording", room=public_name)
        async with room_session(databases, public_name) as session:
            (await rooms.get(session, public_name)).replay_status = "failed"
    return len(stuck)


@dataclass(frozen=True)
class Chapter:
    """A pinned product and where its pin starts in the replay."""

    product_id: int
    offset_seconds: int


async def replay_chapters(session: AsyncSession, room: LiveRoom) -> list[Chapter]:
    """One chapter per pin, in order; pins before the room opened start at 0."""
    if room.started_at is None:
        return []
    started_at = room.started_at
    pins = await session.scalars(
        select(RoomPin).where(RoomPin.room_id == room.id).order_by(RoomPin.pinned_at, RoomPin.id)
    )
    return [
        Chapter(pin.product_id, max(0, int((pin.pinned_at - started_at).total_seconds())))
        for pin in pins
    ]


# --- what pages show ------------------------------------------------------------------------


def video_available(settings: Settings) -> bool:
    return bool(settings.live_hls_url)


def hls_url(settings: Settings, room: LiveRoom, *, now: datetime | None = None) -> str | None:
    """The room's playlist behind a link nginx checks (secure_link): hand it to viewers only
    while the room is live, to its host while rehearsing. Segments are fetched relative to
    the playlist, so the link's path covers them too."""
    if not video_available(settings):
        return None
    expires = int((now or utcnow()).timestamp() + HLS_LINK_SECONDS)
    signed = f"{expires}{room.public_name} {hls_secret(settings)}"
    digest = base64.urlsafe_b64encode(hashlib.md5(signed.encode()).digest()).rstrip(b"=")
    base = settings.live_hls_url.rstrip("/")
    return f"{base}/{digest.decode()}/{expires}/{room.public_name}.m3u8"


def replay_url(settings: Settings, room: LiveRoom) -> str | None:
    """The MP4 replay under the /media mount, once it is ready."""
    if room.replay_status != "ready" or not room.replay_path:
        return None
    return media_url(room.replay_path)


# --- the host's encoder settings ------------------------------------------------------------


@dataclass(frozen=True)
class StreamPanel:
    """What the host's stream panel shows: the OBS settings (the full `stream_key` only
    right after a rotation) and the replay once it is ready."""

    server: str
    stream_name: str
    key_hint: str
    stream_key: str | None
    replay_url: str | None


def stream_panel(settings: Settings, room: LiveRoom, new_key: str | None = None) -> StreamPanel:
    return StreamPanel(
        server=settings.rtmp_public_url,
        stream_name=room.public_name,
        key_hint=room.stream_key_hint,
        # the secret rides in the stream name's query: it never shows in a public URL
        stream_key=f"{room.public_name}?key={new_key}" if new_key else None,
        replay_url=replay_url(settings, room),
    )


def _ensure_not_over(room: LiveRoom) -> None:
    if room.status not in rooms.OPEN_STATUSES:
        raise InvalidTransition("This live room is over: it takes no stream key.")


async def rotate_key(session: AsyncSession, room: LiveRoom) -> str:
    """A new stream key (shown once); the old one stops working for the next publish."""
    _ensure_not_over(room)
    key = rooms.issue_key(room)
    await session.flush()
    return key


async def revoke_key(session: AsyncSession, room: LiveRoom) -> None:
    _ensure_not_over(room)
    rooms.revoke_key(room)
    await session.flush()


async def set_rehearsal(session: AsyncSession, room: LiveRoom, *, rehearsal: bool) -> None:
    """Whether the next stream starts privately, for the host to check before opening."""
    if room.status != "scheduled":
        raise InvalidTransition("Rehearsal can be switched only before the stream starts.")
    room.rehearsal = rehearsal
    await session.flush()
