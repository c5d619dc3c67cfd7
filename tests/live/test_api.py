"""Live rooms in the JSON API: what an app needs to list rooms and open one."""

from tests.live import support
from tests.live.support import AsgiSocket


async def test_the_api_lists_the_markets_rooms_and_shows_one(app, client, databases):
    live = await support.room(databases)
    await support.room(databases, market="ID")
    listed = await client.get("/api/v1/live/rooms", params={"market": "US"})
    assert listed.status_code == 200
    assert [r["public_name"] for r in listed.json()] == [live.public_name]
    room = (await client.get(f"/api/v1/live/rooms/{live.public_name}")).json()
    assert (room["status"], room["socket_path"]) == ("live", f"/live/{live.public_name}/ws")


async def test_the_api_gives_a_rooms_latest_comments(app, client, databases):
    room = await support.room(databases)
    cookie = await support.cookie_of_merchant(app, room.host.email)
    async with AsgiSocket(app, room.socket, cookie=cookie) as host:
        await host.next("snapshot")
        await host.send({"type": "comment", "body": "Hello, everyone"})
        await host.next("comment")
    comments = (await client.get(f"/api/v1/live/rooms/{room.public_name}/comments")).json()
    assert [(c["body"], c["role"]) for c in comments] == [("Hello, everyone", "host")]


async def test_an_unknown_room_is_a_404_with_a_sentence(client, databases):
    missing = await client.get("/api/v1/live/rooms/us-0123456789")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "There is no such live room."
