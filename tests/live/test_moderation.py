"""Keeping a room's chat civil: the host and its moderators delete comments and mute
viewers; a muted viewer keeps watching but can't comment."""

from sqlalchemy import select

from shoptide.live import flows, service
from shoptide.live.models import RoomComment, RoomModerator, RoomMute
from tests import factories
from tests.live import support
from tests.live.support import AsgiSocket
from tests.pages import BROWSER, sign_in_merchant


async def said(databases, room: support.LiveRoom, account: factories.Account, body: str) -> int:
    """A comment already in the room (written through the service, no rate limit to wait on)."""
    async with flows.in_room(databases, room.public_name, write=True) as scope:
        author = service.Participant(
            "viewer", account.email.split("@")[0], account.id, account.cell
        )
        comment = await service.add_comment(scope, author, body)
    return comment.id


async def host_socket(app, room: support.LiveRoom) -> AsgiSocket:
    return AsgiSocket(
        app, room.socket, cookie=await support.cookie_of_merchant(app, room.host.email)
    )


async def test_a_deleted_comment_disappears_for_everyone(app, databases):
    room = await support.room(databases)
    rude = await factories.shopper(databases)
    comment_id = await said(databases, room, rude, "buy elsewhere, cheaper")
    async with await host_socket(app, room) as host, AsgiSocket(app, room.socket) as viewer:
        assert [c["id"] for c in (await viewer.next("snapshot"))["comments"]] == [comment_id]
        await host.next("snapshot")
        await host.send({"type": "delete_comment", "id": comment_id})
        assert (await viewer.next("comment_deleted"))["id"] == comment_id
        assert (await host.next("comment_deleted"))["id"] == comment_id
    async with AsgiSocket(app, room.socket) as latecomer:
        assert (await latecomer.next("snapshot"))["comments"] == []
    async with databases.session("main", write=False) as session:
        assert (await session.get(RoomComment, comment_id)).status == "deleted"


async def test_a_viewer_cannot_delete_someone_elses_comment(app, databases):
    room = await support.room(databases)
    comment_id = await said(databases, room, await factories.shopper(databases), "hello")
    bystander = await factories.shopper(databases)
    cookie = await support.cookie_of_shopper(app, bystander)
    async with AsgiSocket(app, room.socket, cookie=cookie) as viewer:
        await viewer.next("snapshot")
        await viewer.send({"type": "delete_comment", "id": comment_id})
        error = await viewer.next("error")
    assert error["message"] == "Only the host and the room's moderators can do that."
    async with databases.session("main", write=False) as session:
        assert (await session.get(RoomComment, comment_id)).status == "visible"


async def test_a_muted_viewer_is_told_and_can_no_longer_comment(app, databases):
    room = await support.room(databases)
    spammer = await factories.shopper(databases)
    comment_id = await said(databases, room, spammer, "follow my shop!!!")
    cookie = await support.cookie_of_shopper(app, spammer)
    async with (
        await host_socket(app, room) as host,
        AsgiSocket(app, room.socket, cookie=cookie) as muted,
    ):
        await host.next("snapshot")
        await muted.next("snapshot")
        await host.send({"type": "mute", "comment_id": comment_id})
        notice = await muted.next("notice")
        assert notice["message"] == "The host muted you in this room: you can watch, not comment."
        assert (await host.next("notice"))[
            "message"
        ] == f"{spammer.email.split('@')[0]} is muted in this room."
        await muted.send({"type": "comment", "body": "why?"})
        error = await muted.next("error")
    assert error["message"] == "The host has muted you in this room: you can watch, not comment."
    async with databases.session("main", write=False) as session:
        assert list(await session.scalars(select(RoomMute.shopper_id))) == [spammer.id]


async def test_the_host_unmutes_from_the_console(app, client, databases):
    room = await support.room(databases)
    spammer = await factories.shopper(databases)
    comment_id = await said(databases, room, spammer, "follow my shop!!!")
    async with flows.in_room(databases, room.public_name, write=True) as scope:
        await service.mute_author(scope, service.Participant("host"), comment_id)
    token = await sign_in_merchant(client, room.host.email)
    console = await client.get(f"/seller/live/{room.public_name}", headers=BROWSER)
    assert "Muted viewers" in console.text
    done = await client.post(
        f"/seller/live/{room.public_name}/muted/{spammer.id}/unmute", data={"csrf_token": token}
    )
    assert done.status_code == 303
    async with databases.session("main", write=False) as session:
        assert list(await session.scalars(select(RoomMute))) == []


async def test_a_moderator_appointed_by_email_can_delete_comments(app, client, databases):
    room = await support.room(databases)
    moderator = await factories.shopper(databases, email="mia@example.com")
    comment_id = await said(databases, room, await factories.shopper(databases), "rude words")
    token = await sign_in_merchant(client, room.host.email)
    appointed = await client.post(
        f"/seller/live/{room.public_name}/moderators",
        data={"email": "MIA@example.com ", "csrf_token": token},
    )
    assert appointed.status_code == 303
    console = await client.get(f"/seller/live/{room.public_name}", headers=BROWSER)
    assert "mia is a moderator of this room" in console.text
    cookie = await support.cookie_of_shopper(app, moderator)
    async with AsgiSocket(app, room.socket, cookie=cookie) as socket:
        assert (await socket.next("snapshot"))["you"]["role"] == "moderator"
        await socket.send({"type": "delete_comment", "id": comment_id})
        assert (await socket.next("comment_deleted"))["id"] == comment_id


async def test_only_a_shopper_of_the_rooms_market_can_be_a_moderator(app, client, databases):
    room = await support.room(databases, market="US")
    await factories.shopper(databases, market="ID", email="sari@example.com")
    token = await sign_in_merchant(client, room.host.email)
    refused = await client.post(
        f"/seller/live/{room.public_name}/moderators",
        data={"email": "sari@example.com", "csrf_token": token},
        headers=BROWSER,
    )
    assert refused.status_code == 422
    assert "No shopper in United States has the email sari@example.com." in refused.text
    async with databases.session("main", write=False) as session:
        assert list(await session.scalars(select(RoomModerator))) == []


async def test_a_removed_moderator_loses_the_power_at_once(app, client, databases):
    room = await support.room(databases)
    moderator = await factories.shopper(databases, email="mia@example.com")
    comment_id = await said(databases, room, await factories.shopper(databases), "hmm")
    token = await sign_in_merchant(client, room.host.email)
    await client.post(
        f"/seller/live/{room.public_name}/moderators",
        data={"email": "mia@example.com", "csrf_token": token},
    )
    cookie = await support.cookie_of_shopper(app, moderator)
    async with AsgiSocket(app, room.socket, cookie=cookie) as socket:
        await socket.next("snapshot")
        removed = await client.post(
            f"/seller/live/{room.public_name}/moderators/{moderator.id}/remove",
            data={"csrf_token": token},
        )
        assert removed.status_code == 303
        await socket.send({"type": "delete_comment", "id": comment_id})
        assert (await socket.next("error"))["message"] == (
            "Only the host and the room's moderators can do that."
        )
