"""The pages: Seller Center's upload and progress, the shopper's video page."""

import re

from sqlalchemy import select

from shoptide.checkout.models import CartLine
from shoptide.content import service
from tests import factories
from tests.content.conftest import wait_until_processed
from tests.pages import BROWSER, sign_in_merchant, sign_in_shopper


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


async def test_the_video_page_plays_the_clip_and_sells_its_products(client, studio, clip):
    mug = await factories.product(
        studio.databases, studio.merchant, prices={"US": 2400}, title="Pour-over Mug", variants=2
    )
    video = await studio.publish(clip, product_ids=[mug.id])
    shopper = await factories.shopper(studio.databases)
    token = await sign_in_shopper(client, shopper)

    page = await client.get(f"/videos/US/{video.id}", headers=BROWSER)

    assert page.status_code == 200
    assert f'data-src="/media/{video.playlist_path}"' in page.text
    assert f'poster="/media/{video.poster_path}"' in page.text
    assert "/static/vendor/hls.min.js" in page.text
    assert "Pour-over Mug" in page.text and "$24.00" in page.text
    add = re.search(r'<form method="post" action="/cart/add".*?</form>', page.text, re.S).group(0)
    assert f'name="video_id" value="{video.id}"' in add
    assert all(f'value="{sku}"' in add for sku in mug.skus)
    added = await client.post(
        "/cart/add",
        data={"csrf_token": token, "sku": mug.skus[0], "quantity": "1", "video_id": video.id},
    )
    assert added.status_code == 303
    async with studio.databases.session("main", write=False) as s:
        line = await s.scalar(select(CartLine))
    assert (line.source_kind, line.source_id) == ("video", video.id)  # the order's source


async def test_likes_and_comments_from_the_page_update_their_part_only(client, studio, clip):
    video = await studio.publish(clip)
    shopper = await factories.shopper(studio.databases)
    token = await sign_in_shopper(client, shopper)
    htmx = {"HX-Request": "true"}
    base = f"/videos/US/{video.id}"

    liked = await client.post(f"{base}/like", data={"csrf_token": token}, headers=htmx)
    commented = await client.post(
        f"{base}/comments", data={"csrf_token": token, "body": "Love the colour"}, headers=htmx
    )

    assert liked.status_code == 200 and 'id="video-actions"' in liked.text
    assert "Liked" in liked.text and 'aria-pressed="true"' in liked.text
    assert "<html" not in liked.text
    assert commented.status_code == 200 and "Love the colour" in commented.text


async def test_a_refused_comment_shows_the_reason_under_the_form(client, studio, clip):
    from shoptide.content.models import BlockedWord
    from shoptide.settings import GLOBAL_CELL

    async with studio.databases.session(GLOBAL_CELL) as session:
        session.add(BlockedWord(market_code="US", word="fake"))
    video = await studio.publish(clip)
    shopper = await factories.shopper(studio.databases)
    token = await sign_in_shopper(client, shopper)

    refused = await client.post(
        f"/videos/US/{video.id}/comments",
        data={"csrf_token": token, "body": "Looks fake to me"},
        headers={"HX-Request": "true"},
    )

    assert refused.status_code == 422
    assert "Your comment uses “fake”, which isn&#39;t allowed here." in refused.text
    assert "Looks fake to me" in refused.text  # kept in the box to edit


async def test_a_visitor_following_a_link_browses_the_videos_market(client, studio, clip):
    video = await studio.publish(clip, market="ID")

    followed = await client.get(f"/videos/ID/{video.id}", headers=BROWSER, follow_redirects=True)

    assert followed.status_code == 200
    assert '<html lang="id"' in followed.text  # the page now speaks the video's market
    assert f"/media/{video.playlist_path}" in followed.text


async def test_a_video_still_processing_is_not_shown_to_shoppers(client, studio, clip):
    uploaded = await studio.uploaded(clip)

    page = await client.get(f"/videos/US/{uploaded['id']}", headers=BROWSER)

    assert page.status_code == 404


async def test_checkout_can_trust_a_claimed_video_source(studio, clip):
    tagged = await factories.product(studio.databases, studio.merchant)
    untagged = await factories.product(studio.databases, studio.merchant)
    video = await studio.publish(clip, product_ids=[tagged.id])

    async with studio.databases.session("main", write=False) as session:
        assert await service.video_source(session, video_id=video.id, product_id=tagged.id) == (
            video.id,
            studio.merchant.id,
        )
        assert (
            await service.video_source(session, video_id=video.id, product_id=untagged.id) is None
        )
        assert await service.video_source(session, video_id=999, product_id=tagged.id) is None
