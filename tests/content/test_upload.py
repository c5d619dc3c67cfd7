"""A merchant uploads a clip; a background job makes HLS renditions and a poster."""

import re
from pathlib import Path

from sqlalchemy import func, select

from shoptide.content.media import DAMAGED
from shoptide.content.models import Video
from shoptide.events import OutboxEvent
from tests import factories
from tests.content.conftest import Studio, load_video

NO_FILE = Path("/nonexistent")  # the body is given as `content`


def _media_folders(studio: Studio) -> set[str]:
    videos = studio.databases.settings.media_dir / "videos"
    return {p.name for p in videos.iterdir()} if videos.exists() else set()


async def test_an_uploaded_clip_becomes_hls_renditions_with_a_poster(studio, clip):
    uploaded = await studio.uploaded(clip, caption="Linen in the sun")
    assert (uploaded["status"], uploaded["progress"], uploaded["playlist_url"]) == (
        "processing",
        0,
        None,
    )

    video = await studio.processed(uploaded)

    assert (video.status, video.progress, video.error) == ("ready", 100, "")
    assert video.published_at is not None
    assert (video.width, video.height, video.duration_ms) == (480, 854, 3000)  # portrait kept
    media = studio.databases.settings.media_dir
    master = (media / video.playlist_path).read_text()
    assert re.findall(r"RESOLUTION=(\d+x\d+)", master) == ["480x854", "360x640"]
    for rendition in re.findall(r"^(\d+/index\.m3u8)$", master, re.M):
        playlist = (media / video.playlist_path).parent / rendition
        segments = re.findall(r"^(seg_\d+\.ts)$", playlist.read_text(), re.M)
        assert len(segments) == 2  # 2 s segments of a 3 s clip
        assert all((playlist.parent / s).stat().st_size > 0 for s in segments)
        assert "#EXT-X-TARGETDURATION:2" in playlist.read_text()
    assert (media / video.poster_path).read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG

    served = await studio.client.get(f"/media/{video.playlist_path}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    listed = await studio.client.get("/api/v1/seller/videos", headers=studio.merchant.headers)
    assert [(v["id"], v["status"], v["playlist_url"]) for v in listed.json()] == [
        (video.id, "ready", f"/media/{video.playlist_path}")
    ]
    async with studio.databases.session("main", write=False) as s:
        published = await s.scalar(select(OutboxEvent).where(OutboxEvent.type == "VideoPublished"))
    assert published.payload["video_id"] == video.id  # the feed hears of new content


async def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_kept(studio):
    before = _media_folders(studio)

    response = await studio.upload(NO_FILE, content=b"PK\x03\x04 a zip, not a clip" * 100)

    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "This file isn't a video we can read. Upload an MP4 or MOV file."
    )
    async with studio.databases.session("main", write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Video)) == 0
    assert _media_folders(studio) == before


async def test_an_empty_upload_asks_for_a_video(studio):
    response = await studio.upload(NO_FILE, content=b"")

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Choose a video to upload."


async def test_video_uploads_may_be_larger_than_other_request_bodies(studio):
    """Over the 6 MB limit of other routes: read and judged, not cut off with 413."""
    junk = b"\0" * 7_000_000

    video = await studio.upload(NO_FILE, content=junk)
    photo = await studio.client.post(
        "/api/v1/seller/products", headers=studio.merchant.headers, content=junk
    )

    assert video.status_code == 422, video.text
    assert photo.status_code == 413


async def test_a_damaged_clip_fails_with_a_message_the_merchant_reads(studio, damaged_clip):
    uploaded = await studio.uploaded(damaged_clip)

    video = await studio.processed(uploaded)

    assert (video.status, video.error) == ("failed", DAMAGED)
    token = await _sign_in(studio)
    page = await studio.client.get(f"/seller/videos/US/{video.id}")
    assert "This video couldn't be processed." in page.text
    assert "the file looks damaged or incomplete" in page.text
    assert "<video" not in page.text and "hx-trigger" not in page.text  # no player, no polling
    assert token


async def test_a_video_tags_at_most_six_of_the_shops_products(studio, clip):
    products = [(await factories.product(studio.databases, studio.merchant)).id for _ in range(7)]

    seven = await studio.upload(clip, product_ids=products)
    six = await studio.upload(clip, product_ids=products[:6])

    assert seven.status_code == 422
    assert seven.json()["error"]["message"] == ("Tag at most 6 products in a video; you chose 7.")
    assert six.status_code == 201
    assert six.json()["product_ids"] == products[:6]


async def test_another_shops_product_cannot_be_tagged(studio, clip):
    other = await factories.merchant(studio.databases)
    theirs = await factories.product(studio.databases, other)

    response = await studio.upload(clip, product_ids=[theirs.id])

    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"Product {theirs.id} is not one of your shop's products."
    )


async def test_a_tagged_product_needs_a_price_in_the_videos_market(studio, clip):
    us_only = await factories.product(
        studio.databases, studio.merchant, prices={"US": 1500}, title="Canvas Tote"
    )
    draft = await factories.product(studio.databases, studio.merchant, publish=False)

    in_indonesia = await studio.upload(clip, market="ID", product_ids=[us_only.id])
    drafted = await studio.upload(clip, product_ids=[draft.id])

    assert in_indonesia.status_code == 422
    assert in_indonesia.json()["error"]["message"] == (
        "“Canvas Tote” has no price in Indonesia: give it one before tagging it."
    )
    assert drafted.status_code == 422
    assert "is a draft" in drafted.json()["error"]["message"]


async def test_a_video_lives_in_its_markets_cell(studio, clip):
    video = await studio.publish(clip, market="ID")

    assert video.market_code == "ID"
    assert await load_video(studio.databases, "ID", video.id) is not None
    async with studio.databases.session("main", write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Video)) == 0


async def test_another_merchant_can_neither_see_nor_remove_your_video(studio, clip):
    video = await studio.publish(clip)
    stranger = await factories.merchant(studio.databases)
    path = f"/api/v1/seller/videos/US/{video.id}"

    seen = await studio.client.get(path, headers=stranger.headers)
    removed = await studio.client.delete(path, headers=stranger.headers)
    listed = await studio.client.get("/api/v1/seller/videos", headers=stranger.headers)

    assert (seen.status_code, removed.status_code, listed.json()) == (404, 404, [])
    assert (await load_video(studio.databases, "US", video.id)).status == "ready"


async def test_removing_a_video_takes_it_and_its_files_down(studio, clip):
    video = await studio.publish(clip)
    folder = studio.databases.settings.media_dir / video.playlist_path.split("/hls/")[0]
    assert folder.exists()

    removed = await studio.client.delete(
        f"/api/v1/seller/videos/US/{video.id}", headers=studio.merchant.headers
    )

    assert removed.status_code == 204
    assert (await load_video(studio.databases, "US", video.id)).status == "removed"
    assert not folder.exists()
    assert (await studio.client.get(f"/api/v1/videos/US/{video.id}")).status_code == 404
    listed = await studio.client.get("/api/v1/seller/videos", headers=studio.merchant.headers)
    assert listed.json() == []


async def _sign_in(studio: Studio) -> str:
    from tests.pages import sign_in_merchant

    return await sign_in_merchant(studio.client, studio.merchant.email)
