"""A host streams to a live room through real nginx-rtmp: the key is checked by the app,
viewers get HLS, the room ends with the stream and its replay follows.

ffmpeg plays the host's encoder; an httpx client signed in as the host reads the stream
panel the way the console shows it. Video tests run one at a time (they take CPU)."""

import asyncio
import concurrent.futures
import html
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from shoptide.accounts import service as accounts_service
from shoptide.db import Databases, utcnow
from shoptide.live import rooms
from shoptide.settings import GLOBAL_CELL, Settings
from shoptide.shops import service as shops_service
from tests.e2e.conftest import MediaServer, Server
from tests.e2e.seed import World

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
T = TypeVar("T")


def _settings(shop_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in shop_env.items():
        if name.startswith("SHOPTIDE_"):
            monkeypatch.setenv(name, value)
    return Settings()


async def _schedule(settings: Settings, world: World) -> tuple[str, str]:
    databases = Databases(settings)
    try:
        async with databases.session(GLOBAL_CELL) as global_:
            host = await accounts_service.find_by_email(global_, world.merchant_email)
            assert host is not None
            (shop, _), *_ = await shops_service.memberships(global_, user_id=host.id)
            async with databases.session(settings.cell_of_market("US")) as cell:
                room, key = await rooms.schedule(
                    cell,
                    global_,
                    host_user_id=host.id,
                    shop_id=shop.id,
                    market="US",
                    title="Rattan lamps, live",
                    scheduled_at=utcnow(),
                    product_ids=[world.products["lamp"].id],
                )
        return room.public_name, key
    finally:
        await databases.dispose()


@pytest.fixture
def schedule_room(
    world: World, shop_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], tuple[str, str]]:
    """A room of the world's shop and its stream key, made in a thread of its own (the
    browser tests' event loop, if any, never meets this one)."""
    settings = _settings(shop_env, monkeypatch)

    def schedule() -> tuple[str, str]:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _schedule(settings, world)).result(timeout=60)

    return schedule


@pytest.fixture
def host(server: Server, world: World) -> Iterator[httpx.Client]:
    """The world's merchant, signed in through the form."""
    server.ready()
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        form = client.get("/signin")
        token = CSRF.search(form.text)
        assert token, "no CSRF token on /signin"
        signed_in = client.post(
            "/signin",
            data={
                "account": "business",
                "email": world.merchant_email,
                "password": world.password,
                "csrf_token": token.group(1),
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client


def encoder(media_server: MediaServer, stream_key: str, seconds: int) -> list[str]:
    """ffmpeg as the host's OBS: test picture and tone, keyframes every second."""
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", "30",
        "-c:a", "aac", "-f", "flv", f"{media_server.rtmp_url}/{stream_key}",
    ]  # fmt: skip


def wait_for(what: str, check: Callable[[], T | None], timeout_s: float = 20) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"waited {timeout_s:.0f} s for {what}")


def panel_says(host: httpx.Client, public_name: str, text: str) -> Callable[[], str | None]:
    def check() -> str | None:
        page = host.get(f"/seller/live/{public_name}/stream")
        return page.text if text in page.text else None

    return check


def test_a_host_streams_viewers_get_hls_and_the_replay_follows(
    media_server: MediaServer, host: httpx.Client, schedule_room: Callable[[], tuple[str, str]]
) -> None:
    public_name, key = schedule_room()

    started = time.monotonic()
    wrong = subprocess.run(
        encoder(media_server, f"{public_name}?key=not-{key}", 5), capture_output=True, timeout=30
    )
    assert wrong.returncode != 0
    assert time.monotonic() - started < 5
    assert "Waiting for your encoder" in host.get(f"/seller/live/{public_name}/stream").text

    with subprocess.Popen(encoder(media_server, f"{public_name}?key={key}", 8)) as push:
        wait_for("the room to go live", panel_says(host, public_name, "Live: viewers see the"))
        viewer_page = httpx.get(f"{host.base_url}/live/{public_name}").text
        playlist_url = html.unescape(re.search(r'data-hls="([^"]+)"', viewer_page).group(1))
        assert playlist_url.startswith(f"{media_server.http_url}/hls/")
        playlist = wait_for(
            "an HLS playlist with segments",
            lambda: (r := httpx.get(playlist_url)).is_success and ".ts" in r.text and r,
        )
        assert playlist.headers["access-control-allow-origin"] == "*"
        assert playlist.headers["cache-control"] == "no-cache"
        segment_name = next(line for line in playlist.text.splitlines() if line.endswith(".ts"))
        segment = httpx.get(playlist_url.rsplit("/", 1)[0] + f"/{segment_name}")
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert segment.content[:1] == b"\x47"  # an MPEG-TS sync byte
        # only links the app signed play: not the bare name, not a forged hash
        unsigned = httpx.get(f"{media_server.http_url}/hls/{public_name}.m3u8")
        forged = httpx.get(re.sub(r"/hls/[^/]+/", "/hls/" + "A" * 22 + "/", playlist_url))
        assert (unsigned.status_code, forged.status_code) == (403, 403)
        assert push.wait(timeout=30) == 0

    ended = wait_for("the replay", panel_says(host, public_name, "Replay ready"))
    assert "Ended." in ended
    replay_url = re.search(r'href="(/media/replays/[^"]+\.mp4)"', ended)
    assert replay_url, ended
    for origin in (host, httpx.Client(base_url=media_server.http_url)):  # app, and through nginx
        replay = origin.get(replay_url.group(1))
        assert replay.status_code == 200
        assert replay.content[4:8] == b"ftyp"
    assert not list((media_server.prefix / "records").glob(f"{public_name}-*.flv"))
    for log in (media_server.prefix / "logs").iterdir():
        assert key not in log.read_text(errors="replace"), f"the stream key is in {log.name}"


def test_the_hooks_are_not_reachable_through_nginx(
    media_server: MediaServer, schedule_room: Callable[[], tuple[str, str]]
) -> None:
    public_name, key = schedule_room()
    config = (media_server.prefix / "nginx.conf").read_text()
    token = re.search(r"publish\?token=(\w+);", config)
    assert token

    response = httpx.post(
        f"{media_server.http_url}/media-hooks/rtmp/publish",
        params={"token": token.group(1)},
        data={"name": public_name, "key": key},
    )

    assert response.status_code == 404


def test_ending_the_live_from_the_console_drops_the_encoder(
    media_server: MediaServer,
    host: httpx.Client,
    schedule_room: Callable[[], tuple[str, str]],
    tmp_path: Path,
) -> None:
    public_name, key = schedule_room()
    with subprocess.Popen(encoder(media_server, f"{public_name}?key={key}", 60)) as push:
        page = wait_for("the room to go live", panel_says(host, public_name, "End live"))
        token = CSRF.search(page)
        assert token

        ended = host.post(
            f"/seller/live/{public_name}/stream/end", data={"csrf_token": token.group(1)}
        )

        assert ended.status_code == 303
        started = time.monotonic()
        push.wait(timeout=15)
        assert time.monotonic() - started < 10
    assert "Ended." in host.get(f"/seller/live/{public_name}/stream").text
    refused = subprocess.run(
        encoder(media_server, f"{public_name}?key={key}", 3), capture_output=True, timeout=30
    )
    assert refused.returncode != 0


def hls_link(page: str) -> str | None:
    found = re.search(r'data-hls="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


@pytest.mark.e2e
def test_a_rehearsal_is_the_hosts_alone_until_the_room_opens(
    media_server: MediaServer, host: httpx.Client, schedule_room: Callable[[], tuple[str, str]]
) -> None:
    public_name, key = schedule_room()
    stream_page = host.get(f"/seller/live/{public_name}/stream").text
    host.post(
        f"/seller/live/{public_name}/stream/rehearsal",
        data={"csrf_token": CSRF.search(stream_page).group(1), "rehearsal": "true"},
    )
    viewer = httpx.Client(base_url=str(host.base_url), timeout=10)
    with subprocess.Popen(encoder(media_server, f"{public_name}?key={key}", 30)) as push:
        console = wait_for(
            "the host's preview",
            lambda: (
                (page := host.get(f"/seller/live/{public_name}").text) and hls_link(page) and page
            ),
        )
        preview = hls_link(console)
        assert preview is not None
        wait_for("the preview to play", lambda: ".ts" in httpx.get(preview).text)
        room_page = viewer.get(f"/live/{public_name}").text
        assert hls_link(room_page) is None and "Starting soon" in room_page
        assert httpx.get(f"{media_server.http_url}/hls/{public_name}.m3u8").status_code == 403

        opened = host.post(
            f"/seller/live/{public_name}/stream/open",
            data={"csrf_token": CSRF.search(console).group(1)},
        )
        assert opened.status_code == 303
        live_link = hls_link(viewer.get(f"/live/{public_name}").text)
        assert live_link is not None and ".ts" in httpx.get(live_link).text
        push.kill()
