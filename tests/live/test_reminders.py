"""“Remind me”: a shopper hears in their inbox when a room they asked about goes live."""

from sqlalchemy import select

from shoptide.accounts.models import Notification
from shoptide.live import rooms, service
from shoptide.live.models import RoomReminder
from tests import factories
from tests.live import support
from tests.pages import BROWSER, csrf_token, sign_in_shopper


async def go_live(databases, room: support.LiveRoom, cell: str = "main") -> None:
    async with databases.session(cell) as session:
        await rooms.begin_publishing(session, public_name=room.public_name, key=room.key)


async def test_reminded_shoppers_find_the_room_in_their_inbox_once_it_is_live(
    app, client, databases
):
    room = await support.room(databases, live=False)
    dana = await factories.shopper(databases)
    token = await sign_in_shopper(client, dana)
    asked = await client.post(
        f"/live/{room.public_name}/remind", data={"csrf_token": token, "next": "/live"}
    )
    assert (asked.status_code, asked.headers["location"]) == (303, "/live")
    listing = await client.get("/live", headers=BROWSER)
    assert "We'll remind you" in listing.text

    await go_live(databases, room)
    await app.state.dispatcher.run_once()

    badge = await client.get("/notifications/unread", headers=BROWSER)
    assert ">1<" in badge.text
    inbox = await client.get("/notifications", headers=BROWSER)
    assert "Spring drop is live now" in inbox.text
    assert f'href="/live/{room.public_name}"' in inbox.text
    read = await client.post("/notifications/read", data={"csrf_token": token})
    assert read.status_code == 303
    assert ">1<" not in (await client.get("/notifications/unread", headers=BROWSER)).text


async def test_a_room_going_live_notifies_each_reminder_once(app, databases):
    room = await support.room(databases, live=False)
    shoppers = [await factories.shopper(databases) for _ in range(2)]
    async with databases.session("main") as session:
        session.add_all(RoomReminder(room_id=room.id, shopper_id=s.id) for s in shoppers)
    await go_live(databases, room)
    await app.state.dispatcher.run_once()
    # a re-delivery of the event (at-least-once) finds everyone told already
    async with databases.session("main") as session:
        assert await service.send_reminders(session, room_id=room.id, title="x", link="/") == 0
        told = list(await session.scalars(select(Notification.user_id).order_by(Notification.id)))
    assert told == [s.id for s in shoppers]


async def test_only_shoppers_of_the_rooms_market_can_ask_for_a_reminder(client, databases):
    room = await support.room(databases, market="US", live=False)
    sari = await factories.shopper(databases, market="ID")
    token = await sign_in_shopper(client, sari)
    refused = await client.post(
        f"/live/{room.public_name}/remind", data={"csrf_token": token}, headers=BROWSER
    )
    assert refused.status_code == 403
    assert "Only shoppers in United States can be reminded of this room." in refused.text


async def test_a_signed_out_visitor_is_asked_to_sign_in_for_a_reminder(client, databases):
    room = await support.room(databases, live=False)
    page = await client.get(f"/live/{room.public_name}", headers=BROWSER)
    assert "Sign in to get a reminder" in page.text
    token = await csrf_token(client)
    asked = await client.post(
        f"/live/{room.public_name}/remind", data={"csrf_token": token}, headers=BROWSER
    )
    assert asked.status_code == 303 and asked.headers["location"].startswith("/signin")
