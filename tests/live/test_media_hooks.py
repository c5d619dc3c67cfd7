"""Live video: nginx-rtmp's callbacks decide who may publish, end rooms and turn recordings
into replays; the host manages keys from the stream panel; the generated nginx.conf is valid.

The hooks are posted the way nginx posts them (a form, the token in the URL's query)."""

import base64
import hashlib
import json
import logging
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from shoptide.cli import app as cli
from shoptide.db import Databases, utcnow
from shoptide.live import media, rooms
from shoptide.live.models import LiveRoom, RoomPin
from shoptide.settings import Settings
from tests.live.media_support import (
    RecordingHub,
    event_types,
    hub,
    load,
    publish,
    publish_done,
    record_done,
    scheduled_room,
)
from tests.live.support import LiveRoom as Room

__all__ = ["hub"]  # the fixture, used by name

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is missing")


# --- publishing ------------------------------------------------------------------------------


async def test_the_rooms_key_turns_it_live(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, hub: RecordingHub
) -> None:
    room = await scheduled_room(databases)

    response = await publish(client, settings, room.public_name, room.key)

    assert response.status_code == 200, response.text
    live = await load(databases, room.public_name)
    assert (live.status, live.publishing) == ("live", True)
    assert live.started_at is not None
    assert await event_types(databases, "main") == ["LiveRoomStarted"]
    assert hub.sent == [(room.public_name, {"type": "status", "status": "live"})]


async def test_a_rehearsal_is_private_until_the_host_opens_the_room(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, hub: RecordingHub
) -> None:
    room = await scheduled_room(databases, market="ID", rehearsal=True)

    response = await publish(client, settings, room.public_name, room.key)

    assert response.status_code == 200, response.text
    assert (await load(databases, room.public_name)).status == "rehearsal"
    async with databases.session("sea", write=False) as session:
        assert await rooms.on_air(session, market="ID") == []
    assert await event_types(databases, "sea") == []
    # the console hears it, viewers don't
    assert hub.sent == [
        (room.public_name, {"type": "status", "status": "rehearsal", "to_hosts": True})
    ]


async def _revoke(databases: Databases, room: Room) -> str:
    async with media.room_session(databases, room.public_name) as session:
        await media.revoke_key(session, await rooms.get(session, room.public_name))
    return room.key


async def _rotate_away(databases: Databases, room: Room) -> str:
    async with media.room_session(databases, room.public_name) as session:
        await media.rotate_key(session, await rooms.get(session, room.public_name))
    return room.key


async def _wrong(databases: Databases, room: Room) -> str:
    return room.key[:-1] + ("A" if room.key[-1] != "A" else "B")


@pytest.mark.parametrize("refused_key", [_wrong, _revoke, _rotate_away])
async def test_a_key_that_is_not_the_rooms_is_refused(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, refused_key: Any
) -> None:
    room = await scheduled_room(databases)
    key = await refused_key(databases, room)

    response = await publish(client, settings, room.public_name, key)

    assert response.status_code == 403
    unchanged = await load(databases, room.public_name)
    assert (unchanged.status, unchanged.publishing) == ("scheduled", False)
    assert await event_types(databases, "main") == []


async def test_an_ended_room_refuses_to_go_live_again(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 200
    assert (await publish_done(client, settings, room.public_name)).status_code == 200

    again = await publish(client, settings, room.public_name, room.key)

    assert again.status_code == 403
    assert (await load(databases, room.public_name)).status == "ended"


async def test_the_stream_stopping_ends_a_live_room(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, hub: RecordingHub
) -> None:
    room = await scheduled_room(databases, market="TH")
    await publish(client, settings, room.public_name, room.key)

    response = await publish_done(client, settings, room.public_name)

    assert response.status_code == 200, response.text
    ended = await load(databases, room.public_name)
    assert (ended.status, ended.publishing) == ("ended", False)
    assert ended.ended_at is not None
    assert await event_types(databases, "sea") == ["LiveRoomStarted", "LiveRoomEnded"]
    assert hub.sent[-1] == (room.public_name, {"type": "status", "status": "ended"})


async def test_a_stopped_rehearsal_waits_for_the_next_stream(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases, rehearsal=True)
    await publish(client, settings, room.public_name, room.key)

    await publish_done(client, settings, room.public_name)

    waiting = await load(databases, room.public_name)
    assert (waiting.status, waiting.publishing) == ("scheduled", False)


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
async def test_hooks_refuse_callers_without_the_media_servers_token(
    client: httpx.AsyncClient, databases: Databases, token: str | None
) -> None:
    room = await scheduled_room(databases)
    params = {} if token is None else {"token": token}
    form = {"name": room.public_name, "key": room.key}

    for hook_path in ("publish", "publish-done", "record-done"):
        response = await client.post(f"/media-hooks/rtmp/{hook_path}", params=params, data=form)
        assert response.status_code == 403, hook_path

    assert (await load(databases, room.public_name)).status == "scheduled"


async def test_a_configured_hook_secret_replaces_the_derived_token(
    client: httpx.AsyncClient,
    databases: Databases,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    derived = media.hook_token(settings)
    monkeypatch.setattr(settings, "media_hook_secret", "set-by-the-operator")
    room = await scheduled_room(databases)
    form = {"name": room.public_name, "key": room.key}

    old = await client.post("/media-hooks/rtmp/publish", params={"token": derived}, data=form)
    new = await client.post(
        "/media-hooks/rtmp/publish", params={"token": "set-by-the-operator"}, data=form
    )

    assert (old.status_code, new.status_code) == (403, 200)


async def test_an_unknown_stream_name_is_refused(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    assert (await publish(client, settings, "us-0000000000", "whatever")).status_code == 404
    assert (await publish(client, settings, "../../etc", "whatever")).status_code == 404


# --- recordings and replays ------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_flv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of test picture and tone, as nginx-rtmp records them (FLV, H.264 + AAC)."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is missing: apt-get install -y ffmpeg")
    target = tmp_path_factory.mktemp("flv") / "sample.flv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=160x120:rate=15", "-f", "lavfi", "-i", "sine", "-t", "2",
         "-c:v", "libx264", "-g", "15", "-c:a", "aac", "-f", "flv", str(target)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return target


def recording_path(settings: Settings, public_name: str, source: Path | None = None) -> Path:
    """Where nginx leaves a room's recording (`record_unique on`: NAME-UNIXTIME.flv)."""
    target = settings.media_server_root / "records" / f"{public_name}-1790000000.flv"
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copyfile(source, target)
    return target


def probe(path: Path) -> dict[str, Any]:
    report = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return json.loads(report.stdout)


async def ended_room(client: httpx.AsyncClient, databases: Databases, settings: Settings) -> Room:
    room = await scheduled_room(databases)
    await publish(client, settings, room.public_name, room.key)
    await publish_done(client, settings, room.public_name)
    return room


@needs_ffmpeg
async def test_a_recording_becomes_a_playable_replay(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, sample_flv: Path
) -> None:
    room = await ended_room(client, databases, settings)
    recording = recording_path(settings, room.public_name, sample_flv)

    response = await record_done(client, settings, room.public_name, recording)

    assert response.status_code == 200, response.text
    replayed = await load(databases, room.public_name)
    assert replayed.replay_status == "ready"
    replay = settings.media_dir / replayed.replay_path
    assert replayed.replay_path.startswith("replays/") and replay.suffix == ".mp4"
    found = probe(replay)
    assert {s["codec_type"] for s in found["streams"]} == {"video", "audio"}
    assert 1.5 < float(found["format"]["duration"]) < 3
    assert not recording.exists()  # nginx's copy is not kept twice
    url = media.replay_url(settings, replayed)
    assert url == f"/media/{replayed.replay_path}"
    served = await client.get(url)
    assert served.status_code == 200
    assert served.content[4:8] == b"ftyp"


@needs_ffmpeg
async def test_a_rehearsals_recording_is_not_kept(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, sample_flv: Path
) -> None:
    room = await scheduled_room(databases, rehearsal=True)
    await publish(client, settings, room.public_name, room.key)
    recording = recording_path(settings, room.public_name, sample_flv)

    response = await record_done(client, settings, room.public_name, recording)

    assert response.status_code == 200, response.text
    assert not recording.exists()
    assert (await load(databases, room.public_name)).replay_status == "none"


async def test_a_damaged_recording_marks_the_replay_failed(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await ended_room(client, databases, settings)
    recording = recording_path(settings, room.public_name)
    recording.write_bytes(b"FLV but not really" * 10)

    response = await record_done(client, settings, room.public_name, recording)

    assert response.status_code == 200, response.text
    failed = await load(databases, room.public_name)
    assert (failed.replay_status, failed.replay_path) == ("failed", "")
    assert media.replay_url(settings, failed) is None


async def test_record_done_only_takes_the_rooms_own_recordings(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, tmp_path: Path
) -> None:
    room = await ended_room(client, databases, settings)
    other = await scheduled_room(databases)
    outside = tmp_path / f"{room.public_name}-1790000000.flv"
    outside.write_bytes(b"x")

    for path in (
        "/etc/passwd",
        outside,
        recording_path(settings, other.public_name),
        settings.media_server_root / "records" / ".." / "records" / "nginx.conf",
    ):
        response = await record_done(client, settings, room.public_name, path)
        assert response.status_code == 422, path

    assert (await load(databases, room.public_name)).replay_status == "none"


async def test_each_pin_is_a_chapter_from_the_start_of_the_live(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    await publish(client, settings, room.public_name, room.key)
    async with media.room_session(databases, room.public_name) as session:
        live = await rooms.get(session, room.public_name)
        assert live.started_at is not None
        for product_id, seconds in ((7, 95), (5, -4), (6, 30.6)):
            pinned_at = live.started_at + timedelta(seconds=seconds)
            session.add(RoomPin(room_id=live.id, product_id=product_id, pinned_at=pinned_at))

    async with media.room_session(databases, room.public_name, write=False) as session:
        chapters = await media.replay_chapters(session, await rooms.get(session, room.public_name))

    assert chapters == [media.Chapter(5, 0), media.Chapter(6, 30), media.Chapter(7, 95)]


async def test_a_room_that_never_started_has_no_chapters(databases: Databases) -> None:
    room = await scheduled_room(databases)
    async with media.room_session(databases, room.public_name, write=False) as session:
        never_started = await rooms.get(session, room.public_name)
        assert await media.replay_chapters(session, never_started) == []


def test_pages_find_the_video_where_the_settings_say(settings: Settings) -> None:
    room = LiveRoom(public_name="us-0123456789", replay_status="none", replay_path="")
    with_hls = settings.model_copy(update={"live_hls_url": "https://video.example.com/hls/"})
    without = settings.model_copy(update={"live_hls_url": ""})

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    expires = int(now.timestamp()) + media.HLS_LINK_SECONDS
    # what nginx's secure_link_md5 "$expires$room SECRET" computes: base64url MD5, no padding
    signed = f"{expires}us-0123456789 {media.hls_secret(with_hls)}".encode()
    digest = base64.urlsafe_b64encode(hashlib.md5(signed).digest()).decode().rstrip("=")
    assert media.hls_url(with_hls, room, now=now) == (
        f"https://video.example.com/hls/{digest}/{expires}/us-0123456789.m3u8"
    )
    other_secret = with_hls.model_copy(update={"secret_key": "another"})
    assert media.hls_url(other_secret, room, now=now) != media.hls_url(with_hls, room, now=now)
    assert media.video_available(with_hls)
    assert media.hls_url(without, room) is None
    assert not media.video_available(without)
    assert media.replay_url(settings, room) is None


# --- the media server's configuration --------------------------------------------------------


APP_URL = "http://127.0.0.1:8765"  # nginx resolves the hooks' host when it reads the file


def test_the_generated_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    if shutil.which("nginx") is None or not media.RTMP_MODULE.exists():
        pytest.skip("nginx or its RTMP module is missing: apt-get install nginx libnginx-mod-rtmp")
    prefix = tmp_path / "media-server"
    env = {
        "SHOPTIDE_DATA_DIR": str(tmp_path),
        "SHOPTIDE_SECRET_KEY": "test-secret",  # HLS links are signed with a key derived from it
        "SHOPTIDE_MEDIA_HOOK_SECRET": "hook-secret",
    }

    command = ["media", "nginx-config", "--install", str(prefix), "--app-url", APP_URL]

    result = CliRunner().invoke(cli, command, env=env)

    assert result.exit_code == 0, result.output
    config = (prefix / "nginx.conf").read_text()
    assert f"on_publish {APP_URL}/media-hooks/rtmp/publish?token=hook-secret;" in config
    assert f"record_path {prefix.resolve()}/records;" in config
    checked = subprocess.run(
        ["nginx", "-t", "-p", f"{prefix}/", "-c", "nginx.conf", "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_hooks_token_never_reaches_the_access_log(app: FastAPI) -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/media-hooks/rtmp/publish?token=s3cret&x=1", "1.1", 204),
        None,
    )

    assert logging.getLogger("uvicorn.access").filter(record)
    assert "s3cret" not in record.getMessage()
    assert "/media-hooks/rtmp/publish?token=[redacted]&x=1" in record.getMessage()


@needs_ffmpeg
async def test_a_replay_left_processing_by_a_dead_process_is_remuxed_again(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, sample_flv: Path
) -> None:
    kept = await ended_room(client, databases, settings)
    lost = await ended_room(client, databases, settings)
    for room in (kept, lost):  # the hooks answered, then the process died before remuxing
        async with media.room_session(databases, room.public_name) as session:
            (await rooms.get(session, room.public_name)).replay_status = "processing"
    recording_path(settings, kept.public_name, sample_flv)
    later = utcnow() + timedelta(seconds=2 * media.REMUX_TIMEOUT_SECONDS + 1)

    too_soon = await media.recover_replays(databases)
    taken_up = await media.recover_replays(databases, now=later)

    assert (too_soon, taken_up) == (0, 2)
    assert (await load(databases, kept.public_name)).replay_status == "ready"
    assert (await load(databases, lost.public_name)).replay_status == "failed"
