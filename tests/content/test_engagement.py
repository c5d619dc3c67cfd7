"""Shoppers like, comment, share and watch; each signal is counted and kept for the feed."""

import pytest
from sqlalchemy import select

from shoptide.content import service
from shoptide.content.models import BlockedWord, EngagementEvent
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.content.conftest import load_video


@pytest.fixture
async def video(studio, clip):
    return await studio.publish(clip)


async def _events(databases, market: str = "US") -> list[tuple[str, int | None, int]]:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as s:
        rows = await s.scalars(select(EngagementEvent).order_by(EngagementEvent.id))
        return [(e.kind, e.shopper_id, e.watch_ms) for e in rows]


async def _comment(client, shopper, video, body: str):
    path = f"/api/v1/videos/US/{video.id}/comments"
    return await client.post(path, json={"body": body}, headers=shopper.headers)


async def _console_login(client, operator) -> None:
    login = {"username": operator.email, "password": factories.PASSWORD}
    assert (await client.post("/admin/login", data=login)).status_code in (302, 303)


async def _block(databases, market: str, word: str) -> None:
    async with databases.session(GLOBAL_CELL) as session:
        session.add(BlockedWord(market_code=market, word=word))


async def test_a_shopper_likes_a_video_once_and_can_take_it_back(client, databases, video):
    shopper = await factories.shopper(databases)
    like = f"/api/v1/videos/US/{video.id}/like"

    first = await client.put(like, headers=shopper.headers)
    again = await client.put(like, headers=shopper.headers)
    taken_back = await client.delete(like, headers=shopper.headers)
    twice_back = await client.delete(like, headers=shopper.headers)

    assert [r.json() for r in (first, again, taken_back, twice_back)] == [
        {"liked": True, "like_count": 1},
        {"liked": True, "like_count": 1},
        {"liked": False, "like_count": 0},
        {"liked": False, "like_count": 0},
    ]
    assert await _events(databases) == [("like", shopper.id, 0), ("unlike", shopper.id, 0)]


async def test_a_comment_with_a_blocked_word_is_refused_with_the_reason(client, databases, video):
    shopper = await factories.shopper(databases)
    await _block(databases, "US", "scam")
    await _block(databases, "ID", "mahal")
    comments = f"/api/v1/videos/US/{video.id}/comments"

    refused = await client.post(comments, json={"body": "Total SCAM!"}, headers=shopper.headers)
    scampi = await client.post(comments, json={"body": "Scampi tonight"}, headers=shopper.headers)
    other_market = await client.post(comments, json={"body": "mahal"}, headers=shopper.headers)

    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "Your comment uses “scam”, which isn't allowed here. Rephrase it."
    )
    assert (scampi.status_code, other_market.status_code) == (201, 201)  # whole words, per market
    listed = await client.get(comments)
    assert [c["body"] for c in listed.json()] == ["mahal", "Scampi tonight"]
    assert (await load_video(databases, "US", video.id)).comment_count == 2
    assert [kind for kind, *_ in await _events(databases)] == ["comment", "comment"]


async def test_blocked_words_in_thai_are_found_inside_a_sentence(databases):
    await _block(databases, "TH", "โกง")
    async with databases.session(GLOBAL_CELL, write=False) as session:
        with pytest.raises(Exception, match="isn't allowed here"):
            await service.check_comment(session, "TH", "ร้านนี้โกงมาก")
        assert await service.check_comment(session, "TH", "  สวยมาก  ") == "สวยมาก"


async def test_views_shares_and_watch_time_are_counted_and_recorded(client, databases, video):
    shopper = await factories.shopper(databases)
    base = f"/api/v1/videos/US/{video.id}"

    await client.post(f"{base}/views", headers=shopper.headers)
    await client.post(f"{base}/views")  # signed out
    await client.post(f"{base}/watch", json={"watch_ms": 3_600_000}, headers=shopper.headers)
    again = await client.post(f"{base}/watch", json={"watch_ms": 2_500}, headers=shopper.headers)
    viewed_again = await client.post(f"{base}/views", headers=shopper.headers)
    shared = await client.post(f"{base}/shares", headers=shopper.headers)

    assert shared.json() == {"view_count": 2, "like_count": 0, "comment_count": 0, "share_count": 1}
    # a replayed ping or view is refused: the feed must not learn from a script
    assert (again.status_code, viewed_again.status_code) == (429, 429)
    assert await _events(databases) == [
        ("view", shopper.id, 0),
        ("view", None, 0),
        ("watch", shopper.id, 3_000),  # a ping never credits more than the clip lasts
        ("share", shopper.id, 0),
    ]
    assert (await load_video(databases, "US", video.id)).watch_ms_total == 3_000


async def test_a_shopper_of_another_market_cannot_open_the_video(client, databases, video):
    indonesian = await factories.shopper(databases, "ID")

    api = await client.get(f"/api/v1/videos/US/{video.id}", headers=indonesian.headers)
    like = await client.put(f"/api/v1/videos/US/{video.id}/like", headers=indonesian.headers)

    assert (api.status_code, like.status_code) == (404, 404)
    assert api.json()["error"]["message"] == "This video isn't available in your market."


async def test_the_host_removes_a_comment_on_their_own_video_only(client, databases, studio, video):
    shopper = await factories.shopper(databases)
    posted = await client.post(
        f"/api/v1/videos/US/{video.id}/comments",
        json={"body": "Spam link"},
        headers=shopper.headers,
    )
    comment_path = f"/api/v1/seller/videos/US/{video.id}/comments/{posted.json()['id']}"
    stranger = await factories.merchant(databases)

    by_stranger = await client.delete(comment_path, headers=stranger.headers)
    by_host = await client.delete(comment_path, headers=studio.merchant.headers)

    assert (by_stranger.status_code, by_host.status_code) == (404, 204)
    assert (await client.get(f"/api/v1/videos/US/{video.id}/comments")).json() == []
    assert (await load_video(databases, "US", video.id)).comment_count == 0


async def test_an_operator_removes_comments_in_the_console(client, databases, video):
    shopper = await factories.shopper(databases)
    posted = await client.post(
        f"/api/v1/videos/US/{video.id}/comments",
        json={"body": "Buy followers"},
        headers=shopper.headers,
    )
    operator = await factories.operator(databases)
    await client.post(
        "/admin/login", data={"username": operator.email, "password": factories.PASSWORD}
    )

    listing = await client.get("/admin/video-comment-main/list")
    removed = await client.get(
        "/admin/video-comment-main/action/remove", params={"pks": str(posted.json()["id"])}
    )

    assert listing.status_code == 200 and "Buy followers" in listing.text
    assert removed.status_code == 303
    assert (await client.get(f"/api/v1/videos/US/{video.id}/comments")).json() == []
    assert (await load_video(databases, "US", video.id)).comment_count == 0


async def test_an_operator_blocks_a_word_for_one_market_in_the_console(client, databases):
    operator = await factories.operator(databases)
    await client.post(
        "/admin/login", data={"username": operator.email, "password": factories.PASSWORD}
    )

    created = await client.post(
        "/admin/blocked-word/create", data={"market_code": "ID", "word": "  PENIPU "}
    )

    assert created.status_code == 302, created.text
    async with databases.session(GLOBAL_CELL, write=False) as session:
        words = (await session.execute(select(BlockedWord.market_code, BlockedWord.word))).all()
        assert [tuple(w) for w in words] == [("ID", "penipu")]
        with pytest.raises(Exception, match="“penipu”"):
            await service.check_comment(session, "ID", "Dasar penipu!")


async def test_an_operator_takes_a_video_down_for_everyone_in_the_console(client, databases, video):
    operator = await factories.operator(databases)
    await client.post(
        "/admin/login", data={"username": operator.email, "password": factories.PASSWORD}
    )
    media = databases.settings.media_dir
    assert (media / video.playlist_path).is_file()

    listing = await client.get("/admin/video-main/list")
    taken = await client.get("/admin/video-main/action/take-down", params={"pks": str(video.id)})

    assert listing.status_code == 200 and video.caption in listing.text
    assert taken.status_code == 303
    assert (await client.get(f"/api/v1/videos/US/{video.id}")).status_code == 404
    assert (await load_video(databases, "US", video.id)).status == "removed"
    assert not (media / video.playlist_path).exists()  # renditions, poster and upload deleted
