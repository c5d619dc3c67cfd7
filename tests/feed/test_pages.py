"""The For You page: served items, reported events, likes, follows, add to cart."""

import json
import re

import pytest
from sqlalchemy import func, select

from shoptide.checkout.models import CartLine
from shoptide.content.models import Video
from shoptide.feed.items import IMPRESSION, WATCH
from shoptide.feed.models import FeedEvent, Follow
from tests import factories
from tests.feed import support
from tests.feed.page_support import engine, feed_page, served, warm
from tests.live import support as live_support
from tests.pages import sign_in_shopper
from tests.queries import count_request_queries

__all__ = ["engine"]  # the fixture, used by name

HX = {"HX-Request": "true"}


async def _events(databases, market: str = "US") -> list[FeedEvent]:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        return list(await s.scalars(select(FeedEvent).order_by(FeedEvent.id)))


async def _shop_with_video(databases, *, caption: str = "Unboxing", variants: int = 1):
    shop = await factories.merchant(databases)
    product = await factories.product(databases, shop, variants=variants, title="Harbour Mug")
    video_id = await support.video(databases, shop, product_ids=[product.id], caption=caption)
    return shop, product, video_id


# --- the page ---------------------------------------------------------------------------------


async def test_for_you_serves_the_markets_items_only(client, databases, engine):
    shop, product, video_id = await _shop_with_video(databases)
    elsewhere = await factories.product(
        databases, shop, prices={"ID": 150_000}, stock={"ID": 5}, title="Batik Scarf"
    )
    await warm(databases, engine)

    page = await client.get("/for-you")

    assert page.status_code == 200
    keys = {key for key, _ in served(page.text)}
    assert keys == {f"video:{video_id}", f"product:{product.id}"}
    assert f"product:{elsewhere.id}" not in page.text and "Batik Scarf" not in page.text
    assert "$19.99" in page.text  # the lead product's price, in the market's money
    assert 'data-kind="video"' in page.text and 'data-kind="product"' in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("feed_visitor=") and "HttpOnly" in cookie
    assert "Max-Age=31536000" in cookie and "SameSite=lax" in cookie


async def test_a_visitor_keeps_their_visitor_cookie(client, databases, engine):
    await _shop_with_video(databases)
    await warm(databases, engine)
    first = await client.get("/for-you")
    again = await client.get("/for-you")

    assert "feed_visitor=" in first.headers["set-cookie"]
    assert "set-cookie" not in again.headers or "feed_visitor" not in again.headers["set-cookie"]


async def test_an_empty_market_gets_a_friendly_sentence(client, databases, engine):
    page = await client.get("/for-you")

    assert page.status_code == 200
    assert "There are no videos, live rooms or products to show in United States yet." in page.text
    assert "<article" not in page.text


async def test_more_serves_the_next_page_as_cards(client, databases, engine):
    _, product, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    await client.get("/for-you")

    more = await client.get("/for-you/more")

    assert more.status_code == 200
    assert "<html" not in more.text  # a fragment to append
    assert {key for key, _ in served(more.text)} == {f"video:{video_id}", f"product:{product.id}"}


async def test_a_page_runs_the_same_queries_for_few_or_many_items(app, client, databases, engine):
    shops = [await factories.merchant(databases) for _ in range(4)]
    product = await factories.product(databases, shops[0])
    await support.video(databases, shops[0], product_ids=[product.id])
    await warm(databases, engine)
    with count_request_queries(app, databases) as few:
        assert len(served((await client.get("/for-you")).text)) == 2

    for shop in shops:
        for _ in range(2):
            tagged = await factories.product(databases, shop, variants=2)
            await support.video(databases, shop, product_ids=[tagged.id])
    await warm(databases, engine)
    with count_request_queries(app, databases) as many:
        assert len(served((await client.get("/for-you")).text)) >= 8

    assert len(many) == len(few)


# --- events -----------------------------------------------------------------------------------


async def test_an_impression_logs_the_features_the_ranker_saw(client, databases, engine):
    _, _, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, keys, token = await feed_page(client)
    visitor = client.cookies["feed_visitor"]

    sent = await client.post(
        "/for-you/events",
        json={
            "page_id": page_id,
            "events": [
                {"item_key": f"video:{video_id}", "action": "impression"},
                {"item_key": f"video:{video_id}", "action": "watch", "value": 4200},
            ],
        },
        headers={"X-CSRF-Token": token},
    )

    assert sent.status_code == 204, sent.text
    impression, watch = await _events(databases)
    assert (impression.action, impression.viewer) == (IMPRESSION, f"visitor:{visitor}")
    assert (impression.page_id, impression.item_key) == (page_id, f"video:{video_id}")
    assert impression.position == keys.index(f"video:{video_id}")
    assert impression.features and all(isinstance(x, float) for x in impression.features)
    assert impression.stage == 0  # new content, served from the starter pool
    assert (watch.action, watch.value, watch.features) == (WATCH, 4200.0, None)


async def test_a_beacon_sends_the_token_in_its_body(client, databases, engine):
    await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, keys, token = await feed_page(client)
    body = {"page_id": page_id, "events": [{"item_key": keys[0], "action": "skip"}]}

    sent = await client.post(
        "/for-you/events",
        content=json.dumps({**body, "csrf_token": token}),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )

    assert sent.status_code == 204, sent.text
    assert [(e.item_key, e.action) for e in await _events(databases)] == [(keys[0], "skip")]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"item_key": "video:999", "action": "impression"}, "video:999 was not on this feed page"),
        ({"item_key": "KEY", "action": "like"}, "'like' is not an event the feed takes here"),
        ({"item_key": "KEY", "action": "dance"}, "'dance' is not an event the feed takes here"),
    ],
)
async def test_events_the_page_never_served_are_refused_and_nothing_is_logged(
    client, databases, engine, event, message
):
    await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, keys, token = await feed_page(client)
    event = {**event, "item_key": event["item_key"].replace("KEY", keys[0])}

    sent = await client.post(
        "/for-you/events",
        json={"page_id": page_id, "events": [{"item_key": keys[0], "action": "impression"}, event]},
        headers={"X-CSRF-Token": token},
    )

    assert sent.status_code == 422
    assert sent.json()["error"]["code"] == "invalid_input"
    assert message in sent.json()["error"]["message"]
    assert await _events(databases) == []


async def test_events_of_another_viewers_page_or_an_expired_one_are_refused(
    client, app, databases, engine
):
    await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, keys, token = await feed_page(client)
    client.cookies.set("feed_visitor", "someone-else-entirely-0")
    event = [{"item_key": keys[0], "action": "impression"}]

    theirs = await client.post(
        "/for-you/events",
        json={"page_id": page_id, "events": event},
        headers={"X-CSRF-Token": token},
    )
    unknown = await client.post(
        "/for-you/events",
        json={"page_id": "nope", "events": event},
        headers={"X-CSRF-Token": token},
    )

    assert theirs.status_code == unknown.status_code == 404
    assert "This feed page has expired" in theirs.json()["error"]["message"]
    assert await _events(databases) == []


async def test_events_need_the_pages_csrf_token(client, databases, engine):
    await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, keys, _ = await feed_page(client)
    body = {"page_id": page_id, "events": [{"item_key": keys[0], "action": "impression"}]}

    missing = await client.post("/for-you/events", json=body)
    wrong = await client.post("/for-you/events", json=body, headers={"X-CSRF-Token": "forged"})

    assert missing.status_code == wrong.status_code == 403
    assert await _events(databases) == []


async def test_a_bad_payload_is_refused_with_a_clear_message(client, databases, engine):
    await _shop_with_video(databases)
    await warm(databases, engine)
    _, _, token = await feed_page(client)

    sent = await client.post(
        "/for-you/events", content=b"{not json", headers={"X-CSRF-Token": token}
    )

    assert sent.status_code == 422
    assert sent.json()["error"]["message"].startswith("The events are not valid")


# --- likes, follows, cart -----------------------------------------------------------------------


async def test_a_visitor_is_asked_to_sign_in_and_cannot_like(client, databases, engine):
    _, _, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    page_id, _, token = await feed_page(client)
    page = await client.get("/for-you")

    liked = await client.post(
        "/for-you/like",
        data={"csrf_token": token, "page_id": page_id, "item_key": f"video:{video_id}"},
        headers=HX,
    )

    assert 'href="/signin?next=/for-you"' in page.text
    assert 'action="/for-you/like"' not in page.text
    assert liked.status_code == 401
    async with databases.session("main", write=False) as s:
        assert (await s.get(Video, video_id)).like_count == 0
    assert await _events(databases) == []


async def test_a_shopper_likes_a_video_and_the_feed_hears_it(client, databases, engine):
    _, _, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)
    page_id, _, token = await feed_page(client)
    form = {"csrf_token": token, "page_id": page_id, "item_key": f"video:{video_id}"}

    liked = await client.post("/for-you/like", data=form, headers=HX)
    unliked = await client.post("/for-you/unlike", data=form, headers=HX)
    again = await client.post("/for-you/like", data=form, headers=HX)

    assert liked.status_code == 200, liked.text
    assert 'aria-pressed="true"' in liked.text and 'action="/for-you/unlike"' in liked.text
    assert '<span class="like-count">1</span>' in liked.text
    assert 'aria-pressed="false"' in unliked.text and '"like-count">0<' in unliked.text
    assert 'aria-pressed="true"' in again.text
    async with databases.session("main", write=False) as s:
        assert (await s.get(Video, video_id)).like_count == 1
    next_page = await client.get("/for-you")  # the video again, further down: still liked
    assert 'action="/for-you/unlike"' in next_page.text
    likes = [e for e in await _events(databases) if e.action == "like"]
    assert [(e.viewer, e.page_id) for e in likes] == [(f"user:{shopper.id}", page_id)] * 2


async def test_liking_an_item_that_was_not_served_changes_nothing(client, databases, engine):
    await _shop_with_video(databases)
    await warm(databases, engine)
    _, _, other = await _shop_with_video(databases)  # never loaded into the feed
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)
    page_id, _, token = await feed_page(client)

    refused = await client.post(
        "/for-you/like",
        data={"csrf_token": token, "page_id": page_id, "item_key": f"video:{other}"},
        headers=HX,
    )

    assert refused.status_code == 422
    async with databases.session("main", write=False) as s:
        assert (await s.get(Video, other)).like_count == 0


async def test_a_shopper_follows_and_unfollows_the_host(client, databases, engine):
    shop, _, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)
    page_id, _, token = await feed_page(client)
    form = {"csrf_token": token, "page_id": page_id, "item_key": f"video:{video_id}"}

    followed = await client.post("/for-you/follow", data=form, headers=HX)
    async with databases.session("main", write=False) as s:
        following = list(await s.scalars(select(Follow.host_id)))
    page = await client.get("/for-you")
    unfollowed = await client.post("/for-you/unfollow", data=form, headers=HX)

    assert "Following" in followed.text and 'action="/for-you/unfollow"' in followed.text
    assert following == [shop.id]
    assert 'action="/for-you/unfollow"' in page.text  # the next page knows
    assert 'action="/for-you/follow"' in unfollowed.text
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(func.count()).select_from(Follow)) == 0
    assert [e.action for e in await _events(databases)] == ["follow"]


async def test_add_to_cart_from_a_video_credits_the_video(client, databases, engine):
    _, product, video_id = await _shop_with_video(databases)
    await warm(databases, engine)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)
    page_id, _, token = await feed_page(client)

    added = await client.post(
        "/for-you/cart",
        data={
            "csrf_token": token,
            "page_id": page_id,
            "item_key": f"video:{video_id}",
            "sku": product.skus[0],
        },
        headers=HX,
    )

    assert added.status_code == 200, added.text
    assert "Added to your cart." in added.text and 'href="/cart"' in added.text
    async with databases.session("main", write=False) as s:
        line = await s.scalar(select(CartLine).where(CartLine.shopper_id == shopper.id))
    assert line is not None and line.quantity == 1
    assert (line.source_kind, line.source_id) == ("video", video_id)
    assert [e.action for e in await _events(databases)] == ["cart"]


async def test_a_product_with_several_options_links_to_its_page(client, databases, engine):
    _, product, video_id = await _shop_with_video(databases, variants=3)
    await warm(databases, engine)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)
    page_id, _, token = await feed_page(client)
    page = await client.get("/for-you")

    refused = await client.post(
        "/for-you/cart",
        data={
            "csrf_token": token,
            "page_id": page_id,
            "item_key": f"video:{video_id}",
            "sku": "SKU-NOT-HERE",
        },
        headers=HX,
    )

    assert re.search(rf'href="/p/{product.id}" data-feed-click>Choose options', page.text)
    assert 'action="/for-you/cart"' not in page.text
    assert "That option is not sold on this item." in refused.text
    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(func.count()).select_from(CartLine)) == 0


async def test_a_live_room_card_shows_the_badge_and_the_way_in(client, databases, engine):
    shop = await factories.merchant(databases)
    product = await factories.product(databases, shop, title="Rattan Lamp")
    room = await live_support.room(databases, host=shop, selling=[product])
    await warm(databases, engine)

    page = await client.get("/for-you")

    card = page.text[page.text.index('data-kind="live"') :]
    assert "LIVE" in card and f'href="/live/{room.public_name}" data-feed-click' in card
    assert "Rattan Lamp" in card and "$19.99" in card and "0 watching" in card
