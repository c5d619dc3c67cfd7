"""The shopper's video page: playing, engagement, moderation; and the video source
checkout trusts."""

import re

from sqlalchemy import select

from shoptide.checkout.models import CartLine
from shoptide.content import service
from tests import factories
from tests.pages import BROWSER, sign_in_shopper


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
