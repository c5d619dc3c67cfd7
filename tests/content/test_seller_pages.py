"""Seller Center's video pages: upload, processing, the shop's list."""

import re

from tests import factories
from tests.content.conftest import wait_until_processed
from tests.pages import sign_in_merchant


async def test_a_merchant_uploads_on_the_page_and_follows_processing(client, app, databases, clip):
    shop = await factories.merchant(databases)
    shirt = await factories.product(databases, shop, title="Linen Shirt")
    token = await sign_in_merchant(client, shop.email)

    form = await client.get("/seller/videos/new")
    posted = await client.post(
        "/seller/videos",
        data={"csrf_token": token, "market": "US", "caption": "Summer", "product_ids": [shirt.id]},
        files={"video": ("summer.mov", clip.read_bytes(), "video/quicktime")},
    )

    assert "Linen Shirt" in form.text
    assert posted.status_code == 303, posted.text
    page_url = posted.headers["location"]
    market, video_id = re.fullmatch(r"/seller/videos/(\w\w)/(\d+)", page_url).groups()
    waiting = await client.get(page_url)
    assert "Processing…" in waiting.text
    assert 'hx-trigger="every 1s"' in waiting.text and f"{page_url}/status" in waiting.text

    await app.state.dispatcher.run_once()
    await wait_until_processed(databases, market, int(video_id))
    status = await client.get(f"{page_url}/status")

    assert "<video" in status.text and "master.m3u8" in status.text and "poster.jpg" in status.text
    assert "hx-trigger" not in status.text  # polling stops
    assert f'href="/videos/US/{video_id}"' in status.text
    listed = await client.get("/seller/videos")
    assert "Summer" in listed.text and "Ready" in listed.text


async def test_a_refused_upload_shows_the_reason_and_keeps_what_was_typed(client, databases):
    shop = await factories.merchant(databases)
    token = await sign_in_merchant(client, shop.email)

    posted = await client.post(
        "/seller/videos",
        data={"csrf_token": token, "market": "US", "caption": "My best clip"},
        files={"video": ("notes.mp4", b"just some text", "video/mp4")},
    )

    assert posted.status_code == 422
    assert "This file isn&#39;t a video we can read. Upload an MP4 or MOV file." in posted.text
    assert "My best clip" in posted.text
