"""The live room's socket: watching and commenting, as people in the room see it."""

from sqlalchemy import select

from shoptide.content.models import BlockedWord
from shoptide.live import rooms
from shoptide.live.models import RoomComment
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.live import support
from tests.live.support import AsgiSocket, Refused


async def comments_in(databases, cell: str = "main") -> list[tuple[str, str]]:
    async with databases.session(cell, write=False) as session:
        rows = await session.scalars(select(RoomComment).order_by(RoomComment.id))
        return [(c.body, c.status) for c in rows]


async def shopper_socket(app, databases, room, **shopper) -> AsgiSocket:
    account = await factories.shopper(databases, **shopper)
    return AsgiSocket(app, room.socket, cookie=await support.cookie_of_shopper(app, account))


async def test_a_signed_out_visitor_watches_but_cannot_comment(app, databases):
    room = await support.room(databases)
    async with AsgiSocket(app, room.socket) as visitor:
        snapshot = await visitor.next("snapshot")
        assert snapshot["room"]["status"] == "live"
        assert snapshot["room"]["title"] == "Spring drop"
        assert snapshot["you"] == {
            "role": "visitor",
            "can_comment": False,
            "refusal": "Sign in to comment.",
        }
        await visitor.send({"type": "comment", "body": "hello"})
        assert (await visitor.next("error"))["message"] == "Sign in to comment."
    assert await comments_in(databases) == []


async def test_a_comment_reaches_everyone_in_the_room(app, databases):
    room = await support.room(databases)
    async with (
        await shopper_socket(app, databases, room, email="ana@example.com") as writer,
        AsgiSocket(app, room.socket) as watcher,
    ):
        assert (await writer.next("snapshot"))["you"]["can_comment"] is True
        await watcher.next("snapshot")
        await writer.send({"type": "comment", "body": "  Does it come in blue?  "})
        seen = await watcher.next("comment")
        assert await writer.next("comment") == seen
    assert (seen["author"], seen["role"], seen["body"]) == (
        "ana",
        "viewer",
        "Does it come in blue?",
    )
    assert await comments_in(databases) == [("Does it come in blue?", "visible")]
    async with AsgiSocket(app, room.socket) as latecomer:  # joins later: the snapshot has it
        snapshot = await latecomer.next("snapshot")
    assert [c["body"] for c in snapshot["comments"]] == ["Does it come in blue?"]


async def test_the_host_comments_under_the_shops_name_without_a_rate_limit(app, databases):
    host = await factories.merchant(databases, shop_name="Tidewater Goods")
    room = await support.room(databases, host=host)
    cookie = await support.cookie_of_merchant(app, host.email)
    async with AsgiSocket(app, room.socket, cookie=cookie) as console:
        assert (await console.next("snapshot"))["you"]["role"] == "host"
        for body in ("Welcome!", "Three drops tonight"):
            await console.send({"type": "comment", "body": body})
            comment = await console.next("comment")
            assert (comment["author"], comment["role"], comment["body"]) == (
                "Tidewater Goods",
                "host",
                body,
            )


async def test_a_viewer_commenting_too_fast_is_refused(app, databases):
    room = await support.room(databases)
    async with await shopper_socket(app, databases, room) as viewer:
        await viewer.next("snapshot")
        await viewer.send({"type": "comment", "body": "first"})
        await viewer.next("comment")
        await viewer.send({"type": "comment", "body": "second, right away"})
        error = await viewer.next("error")
    assert error["message"] == "You're commenting too fast. Wait a moment and try again."
    assert await comments_in(databases) == [("first", "visible")]


async def test_a_comment_with_a_blocked_word_is_refused(app, databases):
    async with databases.session(GLOBAL_CELL) as session:
        session.add(BlockedWord(market_code="US", word="scam"))
    room = await support.room(databases)
    async with (
        await shopper_socket(app, databases, room) as viewer,
        AsgiSocket(app, room.socket) as watcher,
    ):
        await viewer.next("snapshot")
        await watcher.next("snapshot")
        await viewer.send({"type": "comment", "body": "this is a SCAM"})
        error = await viewer.next("error")
        assert [m for m in await watcher.quiet() if m["type"] == "comment"] == []
    assert "isn't allowed here" in error["message"]
    assert await comments_in(databases) == []


async def test_a_shopper_of_another_market_watches_but_cannot_comment(app, databases):
    room = await support.room(databases, market="US")
    async with await shopper_socket(app, databases, room, market="ID") as visitor:
        snapshot = await visitor.next("snapshot")
        assert snapshot["you"]["role"] == "visitor"
        await visitor.send({"type": "comment", "body": "halo"})
        error = await visitor.next("error")
    assert error["message"] == "Only shoppers in United States can comment in this room."
    assert await comments_in(databases) == []


async def test_comments_open_only_while_the_room_is_live(app, databases):
    room = await support.room(databases, live=False)
    async with await shopper_socket(app, databases, room) as viewer:
        assert (await viewer.next("snapshot"))["room"]["status"] == "scheduled"
        await viewer.send({"type": "comment", "body": "early bird"})
        error = await viewer.next("error")
    assert error["message"] == "Comments open when the live starts."


async def test_the_viewer_count_counts_every_socket_and_the_peak_is_kept(app, databases):
    room = await support.room(databases)
    async with AsgiSocket(app, room.socket) as first:
        assert (await first.next("snapshot"))["viewers"] == 1
        async with AsgiSocket(app, room.socket) as second:
            assert (await second.next("snapshot"))["viewers"] == 2
            assert (await first.next("viewers", lambda m: m["count"] == 2))["count"] == 2
        assert (await first.next("viewers"))["count"] == 1

    async def peak_is_two() -> bool:  # written once the room's last viewer has left
        return await peak_of(databases, room) == 2

    await support.eventually(peak_is_two)


async def peak_of(databases, room: support.LiveRoom) -> int:
    async with databases.session("main", write=False) as session:
        return (await rooms.get(session, room.public_name)).peak_viewers


async def test_an_unknown_room_refuses_the_socket(app, databases):
    try:
        async with AsgiSocket(app, "/live/us-0000000000/ws"):
            raise AssertionError("the socket was accepted")
    except Refused as refused:
        assert refused.code == 4404


async def test_another_sites_page_gets_no_session_on_the_socket(app, databases):
    room = await support.room(databases)
    shopper = await factories.shopper(databases)
    cookie = await support.cookie_of_shopper(app, shopper)
    async with AsgiSocket(
        app, room.socket, cookie=cookie, origin="https://evil.example"
    ) as hijacked:
        assert (await hijacked.next("snapshot"))["you"]["role"] == "visitor"


async def test_a_message_to_one_shopper_or_to_the_hosts_reaches_only_them(app, databases):
    room = await support.room(databases)
    ana = await factories.shopper(databases)
    hub = app.state.live_hub
    host_cookie = await support.cookie_of_merchant(app, room.host.email)
    async with (
        AsgiSocket(app, room.socket, cookie=await support.cookie_of_shopper(app, ana)) as mine,
        AsgiSocket(app, room.socket) as other,
        AsgiSocket(app, room.socket, cookie=host_cookie) as host,
    ):
        for socket in (mine, other, host):
            await socket.next("snapshot")
        await hub.publish(room.public_name, {"type": "offer", "to_shopper": ana.id, "n": 1})
        await hub.publish(room.public_name, {"type": "offer", "to_hosts": True, "n": 2})
        await hub.publish(room.public_name, {"type": "notice", "message": "for all"})
        heard = {
            name: [m["n"] for m in await socket.until("notice") if m["type"] == "offer"]
            for name, socket in (("mine", mine), ("other", other), ("host", host))
        }
    assert heard == {"mine": [1], "other": [], "host": [2]}
