"""The For You feed in the JSON API: served pages, their events, follows."""

from sqlalchemy import select

from shoptide.feed.models import FeedEvent, Follow
from tests import factories
from tests.feed import support
from tests.feed.page_support import engine, warm

__all__ = ["engine"]  # the fixture, used by name


async def _events(databases) -> list[FeedEvent]:
    async with databases.session("main", write=False) as s:
        return list(await s.scalars(select(FeedEvent).order_by(FeedEvent.id)))


async def _world(databases):
    shop = await factories.merchant(databases)
    mug = await factories.product(databases, shop, title="Harbour Mug")
    scarf = await factories.product(
        databases, shop, prices={"ID": 150_000}, stock={"ID": 5}, title="Batik Scarf"
    )
    video_id = await support.video(databases, shop, product_ids=[mug.id], caption="Unboxing")
    return shop, mug, scarf, video_id


async def test_a_visitor_gets_a_page_of_the_market_asked(client, databases, engine):
    shop, mug, scarf, video_id = await _world(databases)
    await warm(databases, engine)

    page = await client.get("/api/v1/feed", params={"market": "US", "size": 5})

    assert page.status_code == 200, page.text
    body = page.json()
    assert body["market"] == "US" and body["page_id"] and body["visitor"]
    items = {item["key"]: item for item in body["items"]}
    assert set(items) == {f"video:{video_id}", f"product:{mug.id}"}
    assert f"product:{scarf.id}" not in items
    video = items[f"video:{video_id}"]
    assert video["kind"] == "video" and video["title"] == "Unboxing"
    assert video["price"] == {"amount_minor": 1999, "currency": "USD", "display": "$19.99"}
    assert video["links"] == {
        "page": f"/videos/US/{video_id}",
        "api": f"/api/v1/videos/US/{video_id}",
    }
    assert video["playlist_url"] == f"/media/videos/{video_id}/index.m3u8"
    assert (video["source"], video["stage"]) == ("explore", "starter pool")
    assert video["host_id"] == shop.id and video["product_ids"] == [mug.id]
    assert items[f"product:{mug.id}"]["links"]["page"] == f"/p/{mug.id}"
    assert items[f"product:{mug.id}"]["stage"] == "open feed"


async def test_a_shopper_gets_their_own_market(client, databases, engine):
    _, _, scarf, _ = await _world(databases)
    await warm(databases, engine)
    shopper = await factories.shopper(databases, market="ID")

    page = await client.get("/api/v1/feed", headers=shopper.headers)

    body = page.json()
    assert body["market"] == "ID" and body["visitor"] is None
    assert [item["key"] for item in body["items"]] == [f"product:{scarf.id}"]
    assert body["items"][0]["price"]["currency"] == "IDR"


async def test_events_of_a_served_page_are_logged_for_its_viewer(client, databases, engine):
    _, _, _, video_id = await _world(databases)
    await warm(databases, engine)
    page = (await client.get("/api/v1/feed", params={"market": "US"})).json()
    key = f"video:{video_id}"

    sent = await client.post(
        "/api/v1/feed/events",
        params={"market": "US"},
        json={"page_id": page["page_id"], "events": [{"item_key": key, "action": "impression"}]},
        headers={"X-Feed-Visitor": page["visitor"]},
    )

    assert sent.status_code == 204, sent.text
    (logged,) = await _events(databases)
    assert (logged.viewer, logged.item_key, logged.action) == (
        f"visitor:{page['visitor']}",
        key,
        "impression",
    )
    assert logged.features


async def test_events_count_in_the_market_their_page_was_served_in(client, databases, engine):
    _, _, _, video_id = await _world(databases)
    await warm(databases, engine)
    page = (await client.get("/api/v1/feed", params={"market": "US"})).json()

    sent = await client.post(
        "/api/v1/feed/events",
        params={"market": "GB"},  # a client that says otherwise changes nothing
        json={
            "page_id": page["page_id"],
            "events": [{"item_key": f"video:{video_id}", "action": "impression"}],
        },
        headers={"X-Feed-Visitor": page["visitor"]},
    )

    assert sent.status_code == 204, sent.text
    assert [event.market_code for event in await _events(databases)] == ["US"]


async def test_events_refused_when_not_the_viewers_or_not_served(client, databases, engine):
    _, mug, _, video_id = await _world(databases)
    await warm(databases, engine)
    page = (await client.get("/api/v1/feed", params={"market": "US"})).json()
    mine = {"X-Feed-Visitor": page["visitor"]}

    def body(key: str, action: str = "impression") -> dict:
        return {"page_id": page["page_id"], "events": [{"item_key": key, "action": action}]}

    stranger = await client.post("/api/v1/feed/events", json=body(f"video:{video_id}"))
    not_served = await client.post("/api/v1/feed/events", json=body("video:4242"), headers=mine)
    purchase = await client.post(
        "/api/v1/feed/events", json=body(f"product:{mug.id}", "purchase"), headers=mine
    )
    malformed = await client.post(
        "/api/v1/feed/events", json={"page_id": page["page_id"]}, headers=mine
    )

    assert stranger.status_code == 404  # another viewer's page: gone, as far as this one sees
    assert "expired" in stranger.json()["error"]["message"]
    assert not_served.status_code == 422
    assert "video:4242 was not on this feed page" in not_served.json()["error"]["message"]
    assert purchase.status_code == 422
    assert malformed.status_code == 422 and "events" in malformed.json()["error"]["message"]
    assert await _events(databases) == []


async def test_a_shopper_follows_and_unfollows_a_host(client, databases, engine):
    shop, _, _, _ = await _world(databases)
    shopper = await factories.shopper(databases)

    followed = await client.post(f"/api/v1/feed/follows/{shop.id}", headers=shopper.headers)
    twice = await client.post(f"/api/v1/feed/follows/{shop.id}", headers=shopper.headers)
    async with databases.session("main", write=False) as s:
        rows = [(f.follower_id, f.host_id, f.market_code) for f in await s.scalars(select(Follow))]
    unfollowed = await client.delete(f"/api/v1/feed/follows/{shop.id}", headers=shopper.headers)

    assert followed.json() == twice.json() == {"host_id": shop.id, "following": True}
    assert rows == [(shopper.id, shop.id, "US")]
    assert unfollowed.json() == {"host_id": shop.id, "following": False}
    async with databases.session("main", write=False) as s:
        assert list(await s.scalars(select(Follow))) == []


async def test_following_someone_who_is_no_host_is_refused(client, databases, engine):
    shopper = await factories.shopper(databases)

    refused = await client.post("/api/v1/feed/follows/424242", headers=shopper.headers)

    assert refused.status_code == 404
    assert "no such host" in refused.json()["error"]["message"]
    async with databases.session("main", write=False) as s:
        assert list(await s.scalars(select(Follow))) == []


async def test_follows_need_a_shopper(client, databases, engine):
    shop, _, _, _ = await _world(databases)

    anonymous = await client.post(f"/api/v1/feed/follows/{shop.id}")
    merchant = await client.post(f"/api/v1/feed/follows/{shop.id}", headers=shop.headers)

    assert anonymous.status_code == 401
    assert merchant.status_code == 403
