"""Hosts schedule rooms and run them from the console; shoppers find them on /live."""

import html
import io
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from shoptide.db import utcnow
from shoptide.live import rooms
from shoptide.live.models import LiveRoom, RoomPin
from tests import factories
from tests.live import support
from tests.live.support import AsgiSocket
from tests.pages import BROWSER, sign_in_merchant


def schedule_form(token: str, **fields: object) -> dict[str, object]:
    starts = (utcnow() + timedelta(days=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    return {
        "csrf_token": token,
        "title": "Friday drop",
        "market": "US",
        "starts_at": starts,
    } | fields


async def all_rooms(databases, cell: str = "main") -> list[LiveRoom]:
    async with databases.session(cell, write=False) as session:
        return list(await session.scalars(select(LiveRoom)))


async def pins(databases, room: support.LiveRoom) -> list[tuple[int, bool]]:
    async with databases.session("main", write=False) as session:
        rows = await session.scalars(select(RoomPin).order_by(RoomPin.id))
        return [(pin.product_id, pin.unpinned_at is None) for pin in rows]


# --- scheduling -----------------------------------------------------------------------------


async def test_a_host_schedules_a_room_in_the_markets_time_and_sees_the_key_once(client, databases):
    host = await factories.merchant(databases)
    item = await factories.product(databases, host, prices={"ID": 150_000}, stock={"ID": 3})
    token = await sign_in_merchant(client, host.email)
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    created = await client.post(
        "/seller/live",
        data=schedule_form(
            token, market="ID", starts_at="2031-03-01T19:30", product_id=str(item.id), rehearsal="1"
        ),
        files={"cover": ("cover.png", png.getvalue(), "image/png")},
        headers=BROWSER,
    )
    assert created.status_code == 201, created.text
    [room] = await all_rooms(databases, "sea")
    # 19:30 in Jakarta (UTC+7) is 12:30 UTC
    assert room.scheduled_at == datetime(2031, 3, 1, 12, 30, tzinfo=UTC)
    assert (room.market_code, room.title, room.rehearsal) == ("ID", "Friday drop", True)
    assert room.cover_path.startswith("live-covers/") and room.cover_path.endswith(".png")
    assert "Your new stream key is shown only this once" in created.text
    console = await client.get(f"/seller/live/{room.public_name}", headers=BROWSER)
    assert "shown only this once" not in console.text
    listing = await client.get("/seller/live", headers=BROWSER)
    assert "Friday drop" in listing.text and "Asia/Jakarta" in listing.text


async def test_scheduling_refuses_mistakes_with_a_sentence(client, databases):
    host = await factories.merchant(databases)
    other = await factories.merchant(databases)
    theirs = await factories.product(databases, other)
    token = await sign_in_merchant(client, host.email)
    past = (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    mistakes = {
        "The start time is in the past.": {"starts_at": past, "market": "GB"},
        "Give the live room a title of 1 to 120 characters.": {"title": "  "},
        f"Product {theirs.id} is not one of your shop's products.": {"product_id": str(theirs.id)},
        "Enter the start date and time, like 2026-12-01 19:30.": {"starts_at": "tomorrow"},
        "Upload a PNG, JPEG or WebP picture; this file isn't one.": {},
    }
    for message, fields in mistakes.items():
        files = {"cover": ("cover.png", b"not a picture", "image/png")} if not fields else None
        refused = await client.post(
            "/seller/live", data=schedule_form(token, **fields), files=files, headers=BROWSER
        )
        assert refused.status_code == 422, (message, refused.status_code)
        assert message in html.unescape(refused.text)
    assert await all_rooms(databases) == []


# --- the console --------------------------------------------------------------------------


async def test_pinning_shows_the_product_card_to_viewers_and_keeps_chapters(app, client, databases):
    room = await support.room(databases, products=2)
    first, second = room.products
    token = await sign_in_merchant(client, room.host.email)
    async with AsgiSocket(app, room.socket) as viewer:
        assert (await viewer.next("snapshot"))["pinned"] is None
        pinned = await client.post(
            f"/seller/live/{room.public_name}/pin",
            data={"product_id": str(first.id), "csrf_token": token},
        )
        assert pinned.status_code == 303
        card = (await viewer.next("pin"))["product"]
        assert card["id"] == first.id
        assert card["price"] == "$15.00"
        assert [v["sku"] for v in card["variants"]] == first.skus
        await client.post(
            f"/seller/live/{room.public_name}/pin",
            data={"product_id": str(second.id), "csrf_token": token},
        )
        assert (await viewer.next("pin"))["product"]["id"] == second.id
        await client.post(f"/seller/live/{room.public_name}/unpin", data={"csrf_token": token})
        await viewer.next("unpin")
    # each pin is a chapter of the replay: the first closed when the second opened
    assert await pins(databases, room) == [(first.id, False), (second.id, False)]


async def test_a_viewer_joining_later_sees_the_pinned_product(app, client, databases):
    room = await support.room(databases)
    token = await sign_in_merchant(client, room.host.email)
    await client.post(
        f"/seller/live/{room.public_name}/pin",
        data={"product_id": str(room.products[1].id), "csrf_token": token},
    )
    console = await client.get(f"/seller/live/{room.public_name}", headers=BROWSER)
    assert "Unpin Product" in console.text  # the console marks what is pinned
    async with AsgiSocket(app, room.socket) as viewer:
        snapshot = await viewer.next("snapshot")
    assert snapshot["pinned"]["id"] == room.products[1].id


async def test_only_the_rooms_products_can_be_pinned(client, databases):
    room = await support.room(databases)
    elsewhere = await factories.product(databases, room.host)  # the shop's, not the room's
    token = await sign_in_merchant(client, room.host.email)
    refused = await client.post(
        f"/seller/live/{room.public_name}/pin",
        data={"product_id": str(elsewhere.id), "csrf_token": token},
        headers=BROWSER,
    )
    assert refused.status_code == 422
    assert "That product isn't one of this room's products." in html.unescape(refused.text)
    assert await pins(databases, room) == []


async def test_another_merchant_can_neither_open_the_console_nor_pin(client, databases):
    room = await support.room(databases)
    intruder = await factories.merchant(databases)
    token = await sign_in_merchant(client, intruder.email)
    console = await client.get(f"/seller/live/{room.public_name}", headers=BROWSER)
    assert console.status_code == 403
    assert "This live room belongs to another shop." in console.text
    pinned = await client.post(
        f"/seller/live/{room.public_name}/pin",
        data={"product_id": str(room.products[0].id), "csrf_token": token},
        headers=BROWSER,
    )
    assert pinned.status_code == 403
    assert await pins(databases, room) == []


# --- shoppers' pages --------------------------------------------------------------------------


async def test_live_lists_the_markets_rooms_live_first(client, databases):
    later = await support.room(databases, live=False)
    now = await support.room(databases)
    elsewhere = await support.room(databases, market="ID")
    page = await client.get("/live", headers=BROWSER)
    assert page.status_code == 200
    live_now, coming = page.text.split("Coming up")
    assert now.public_name in live_now and later.public_name not in live_now
    assert later.public_name in coming
    assert elsewhere.public_name not in page.text


async def test_the_room_page_says_when_video_is_unavailable(app, client, databases):
    room = await support.room(databases)
    settings = app.state.settings
    saved = settings.live_hls_url
    settings.live_hls_url = ""
    try:
        page = await client.get(room.path, headers=BROWSER)
    finally:
        settings.live_hls_url = saved
    assert "Video is unavailable right now" in page.text
    assert 'id="comments"' in page.text and 'id="buy-drawer"' in page.text


async def test_viewers_never_get_the_stream_during_a_rehearsal(client, databases):
    room = await support.room(databases, live=False)
    async with databases.session("main") as session:
        await rooms.begin_publishing(session, public_name=room.public_name, key=room.key)
        (await rooms.get(session, room.public_name)).status = "rehearsal"
    page = await client.get(room.path, headers=BROWSER)
    assert "Starting soon" in page.text
    assert ".m3u8" not in page.text


async def test_the_live_room_page_plays_the_stream(client, databases):
    room = await support.room(databases)
    page = await client.get(room.path, headers=BROWSER)
    assert f"{room.public_name}.m3u8" in page.text
