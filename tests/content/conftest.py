"""Real clips made with ffmpeg once per session, and the steps of a video's life: upload
through the API, let the dispatcher start the transcode, wait for its outcome."""

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from shoptide.content.models import Video
from shoptide.db import Databases
from tests import factories

TRANSCODE_TIMEOUT_S = 60


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s of portrait video (480x854, 30 fps) with sound, its index at the front."""
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=480x854:rate=30",
        "-f", "lavfi", "-i", "sine", "-t", "3",
        "-c:v", "libx264", "-c:a", "aac", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def damaged_clip(clip: Path) -> Path:
    """The clip cut short: ffprobe still reads its index (format, duration, streams), but
    the pictures are missing, so ffmpeg fails."""
    data = clip.read_bytes()
    path = clip.with_name("damaged.mp4")
    path.write_bytes(data[: _end_of_index(data) + 100])
    return path


def _end_of_index(mp4: bytes) -> int:
    """Where the `moov` box (the index) ends: MP4 boxes are a 4-byte size and a 4-byte type."""
    at = 0
    while at < len(mp4):
        size, kind = int.from_bytes(mp4[at : at + 4], "big"), mp4[at + 4 : at + 8]
        if kind == b"moov":
            return at + size
        at += size
    raise AssertionError("no moov box: was the clip made with +faststart?")


@dataclass
class Studio:
    """A merchant with products, uploading through the API."""

    client: httpx.AsyncClient
    app: FastAPI
    databases: Databases
    merchant: factories.Merchant

    async def upload(
        self,
        path: Path,
        *,
        market: str = "US",
        product_ids: list[int] | None = None,
        caption: str = "Spring drop",
        content: bytes | None = None,
    ) -> httpx.Response:
        data = {"market": market, "caption": caption, "product_ids": product_ids or []}
        body = content if content is not None else await asyncio.to_thread(path.read_bytes)
        return await self.client.post(
            "/api/v1/seller/videos",
            headers=self.merchant.headers,
            data=data,
            files={"file": ("clip.mp4", body, "video/mp4")},
        )

    async def uploaded(self, path: Path, **fields: Any) -> dict:
        response = await self.upload(path, **fields)
        assert response.status_code == 201, response.text
        return response.json()

    async def processed(self, video: dict) -> Video:
        """Run the dispatcher once (it starts the job) and wait until the job is done."""
        await self.app.state.dispatcher.run_once()
        return await wait_until_processed(self.databases, video["market"], video["id"])

    async def publish(self, path: Path, **fields: Any) -> Video:
        video = await self.processed(await self.uploaded(path, **fields))
        assert video.status == "ready", video.error
        return video


async def load_video(databases: Databases, market: str, video_id: int) -> Video | None:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        return await s.scalar(select(Video).where(Video.id == video_id))


async def wait_until_processed(databases: Databases, market: str, video_id: int) -> Video:
    for _ in range(TRANSCODE_TIMEOUT_S * 10):
        video = await load_video(databases, market, video_id)
        assert video is not None
        if video.status != "processing":
            return video
        await asyncio.sleep(0.1)
    raise AssertionError(f"video {video_id} still processing after {TRANSCODE_TIMEOUT_S} s")


@pytest.fixture
async def studio(client: httpx.AsyncClient, app: FastAPI, databases: Databases) -> Studio:
    return Studio(client, app, databases, await factories.merchant(databases))
