"""Live video: nginx-rtmp's callbacks decide who may publish, end rooms and turn recordings
into replays; the host manages keys from the stream panel; the generated nginx.conf is valid.

The hooks are posted the way nginx posts them (a form, the token in the URL's query)."""

import base64
import hashlib
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from shoptide.cli import app as cli
from shoptide.db import Databases, utcnow
from shoptide.events import OutboxEvent
from shoptide.live import media, rooms
from shoptide.live.models import LiveRoom, RoomPin
from shoptide.settings import Settings
from tests import factories
from tests.live import support
from tests.live.support import LiveRoom as Room
from tests.pages import BROWSER, csrf_token, sign_in_merchant

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is missing")


async def scheduled_room(
    databases: Databases, *, market: str = "US", rehearsal: bool = False
) -> Room:
    room = await support.room(databases, market=market, live=False, products=1)
    if rehearsal:
        async with media.room_session(databases, room.public_name) as session:
            waiting = await rooms.get(session, room.public_name)
            await media.set_rehearsal(session, waiting, rehearsal=True)
    return room


async def load(databases: Databases, public_name: str) -> LiveRoom:
    async with media.room_session(databases, public_name, write=False) as session:
        return await rooms.get(session, public_name)


async def event_types(databases: Databases, cell: str) -> list[str]:
    async with databases.session(cell, write=False) as session:
        return list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def hook(settings: Settings) -> dict[str, str]:
    return {"token": media.hook_token(settings)}


async def publish(
    client: httpx.AsyncClient, settings: Settings, name: str, key: str
) -> httpx.Response:
    """What nginx posts when an encoder publishes rtmp://HOST/live/NAME?key=KEY."""
    form = {"app": "live", "call": "publish", "name": name, "type": "live", "key": key}
    return await client.post("/media-hooks/rtmp/publish", params=hook(settings), data=form)


async def publish_done(client: httpx.AsyncClient, settings: Settings, name: str) -> httpx.Response:
    form = {"app": "live", "call": "publish_done", "name": name}
    return await client.post("/media-hooks/rtmp/publish-done", params=hook(settings), data=form)


async def record_done(
    client: httpx.AsyncClient, settings: Settings, name: str, path: Path | str
) -> httpx.Response:
    form = {"app": "live", "call": "record_done", "name": name, "path": str(path)}
    return await client.post("/media-hooks/rtmp/record-done", params=hook(settings), data=form)


class RecordingHub:
    """Stands in for app.state.live_hub: keeps what would go to the room's sockets."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, room: str, message: dict[str, Any]) -> None:
        self.sent.append((room, message))


@pytest.fixture
def hub(app: FastAPI) -> Iterator[RecordingHub]:
    # by hand: monkeypatch can't see Starlette State's attributes and would delete the real hub
    real, app.state.live_hub = app.state.live_hub, RecordingHub()
    yield app.state.live_hub
    app.state.live_hub = real


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


# --- the host's stream panel -----------------------------------------------------------------


async def host_signed_in(client: httpx.AsyncClient, room: Room) -> str:
    return await sign_in_merchant(client, room.host.email)


def panel(room: Room) -> str:
    return f"/seller/live/{room.public_name}/stream"


async def test_the_panel_shows_the_encoder_settings_but_never_the_key(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    await host_signed_in(client, room)

    page = await client.get(panel(room))

    assert page.status_code == 200
    assert settings.rtmp_public_url in page.text
    assert f"{room.public_name}?key=…{room.key[-4:]}" in page.text
    assert room.key not in page.text


async def test_a_new_key_is_shown_once_and_replaces_the_old_one(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    rotated = await client.post(f"{panel(room)}/key", data={"csrf_token": token})

    assert rotated.status_code == 200
    shown = rotated.text.split(f'value="{room.public_name}?key=', 1)[1].split('"', 1)[0]
    assert shown != room.key
    assert shown not in (await client.get(panel(room))).text
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 403
    assert (await publish(client, settings, room.public_name, shown)).status_code == 200


async def test_htmx_gets_the_panel_alone(client: httpx.AsyncClient, databases: Databases) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    rotated = await client.post(
        f"{panel(room)}/key", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )

    assert rotated.status_code == 200
    assert rotated.text.lstrip().startswith('<section id="stream-panel"')


async def test_a_revoked_key_stops_any_encoder_from_starting_the_room(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    revoked = await client.post(f"{panel(room)}/key/revoke", data={"csrf_token": token})

    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/seller/live/{room.public_name}"  # the console
    assert "No stream key" in (await client.get(panel(room))).text
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 403


async def test_the_host_rehearses_then_opens_the_room_to_viewers(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, hub: RecordingHub
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    chose = await client.post(
        f"{panel(room)}/rehearsal", data={"csrf_token": token, "rehearsal": "true"}
    )
    assert chose.status_code == 303
    await publish(client, settings, room.public_name, room.key)
    assert (await load(databases, room.public_name)).status == "rehearsal"
    opened = await client.post(f"{panel(room)}/open", data={"csrf_token": token})

    assert opened.status_code == 303
    assert (await load(databases, room.public_name)).status == "live"
    assert await event_types(databases, "main") == ["LiveRoomStarted"]
    assert hub.sent[-1] == (room.public_name, {"type": "status", "status": "live"})


async def test_rehearsal_cannot_be_switched_once_the_stream_started(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)
    await publish(client, settings, room.public_name, room.key)

    refused = await client.post(
        f"{panel(room)}/rehearsal", data={"csrf_token": token, "rehearsal": "true"}
    )

    assert refused.status_code == 409
    assert "only before the stream starts" in refused.text
    assert (await load(databases, room.public_name)).rehearsal is False


async def test_ending_the_live_ends_the_room_even_when_nginx_is_unreachable(
    client: httpx.AsyncClient,
    databases: Databases,
    settings: Settings,
    hub: RecordingHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "media_control_url", "http://127.0.0.1:9/control")
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)
    await publish(client, settings, room.public_name, room.key)

    ended = await client.post(f"{panel(room)}/end", data={"csrf_token": token})

    assert ended.status_code == 303
    gone = await load(databases, room.public_name)
    assert gone.status == "ended"
    assert gone.stream_key_hash is None
    assert hub.sent[-1] == (room.public_name, {"type": "status", "status": "ended"})
    # nginx reports the dropped stream afterwards; the room stays ended
    assert (await publish_done(client, settings, room.public_name)).status_code == 200
    assert (await load(databases, room.public_name)).status == "ended"


async def test_another_shops_merchant_cannot_touch_the_stream(
    client: httpx.AsyncClient, databases: Databases
) -> None:
    room = await scheduled_room(databases)
    stranger = await factories.merchant(databases)
    token = await sign_in_merchant(client, stranger.email)

    looked = await client.get(panel(room), headers=BROWSER)
    rotated = await client.post(f"{panel(room)}/key", data={"csrf_token": token})

    assert (looked.status_code, rotated.status_code) == (403, 403)
    assert room.key[-4:] not in looked.text


async def test_stream_forms_need_the_csrf_token(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    await host_signed_in(client, room)
    assert await csrf_token(client, panel(room))

    forged = await client.post(f"{panel(room)}/key/revoke", data={"csrf_token": "forged"})

    assert forged.status_code == 403
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 200


# --- the media server's configuration --------------------------------------------------------


APP_URL = "http://127.0.0.1:8765"  # nginx resolves the hooks' host when it reads the file


def test_the_generated_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    if shutil.which("nginx") is None or not media.RTMP_MODULE.exists():
        pytest.skip("nginx or its RTMP module is missing: apt-get install nginx libnginx-mod-rtmp")
    prefix = tmp_path / "media-server"
    env = {"SHOPTIDE_DATA_DIR": str(tmp_path), "SHOPTIDE_MEDIA_HOOK_SECRET": "hook-secret"}

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
