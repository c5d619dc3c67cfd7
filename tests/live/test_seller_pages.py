"""Seller Center's live rooms: hosts schedule rooms, run them from the console, and
drive the stream from its panel."""

import html
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from shoptide.db import Databases, utcnow
from shoptide.live.models import LiveRoom, RoomPin
from shoptide.settings import Settings
from tests import factories
from tests.live import support
from tests.live.media_support import (
    RecordingHub,
    event_types,
    hub,
    load,
    publish,
    publish_done,
    scheduled_room,
)
from tests.live.support import AsgiSocket
from tests.live.support import LiveRoom as Room
from tests.pages import BROWSER, csrf_token, sign_in_merchant

__all__ = ["hub"]  # the fixture, used by name


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


# --- the host's stream panel -----------------------------------------------------------------


async def host_signed_in(client: httpx.AsyncClient, room: Room) -> str:
    return await sign_in_merchant(client, room.host.email)


def panel(room: Room) -> str:
    return f"/seller/live/{room.public_name}/stream"


async def test_the_panel_shows_the_encoder_settings_but_never_the_key(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    await host_signed_in(client, room)

    page = await client.get(panel(room))

    assert page.status_code == 200
    assert settings.rtmp_public_url in page.text
    assert f"{room.public_name}?key=…{room.key[-4:]}" in page.text
    assert room.key not in page.text


async def test_a_new_key_is_shown_once_and_replaces_the_old_one(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    rotated = await client.post(f"{panel(room)}/key", data={"csrf_token": token})

    assert rotated.status_code == 200
    shown = rotated.text.split(f'value="{room.public_name}?key=', 1)[1].split('"', 1)[0]
    assert shown != room.key
    assert shown not in (await client.get(panel(room))).text
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 403
    assert (await publish(client, settings, room.public_name, shown)).status_code == 200


async def test_htmx_gets_the_panel_alone(client: httpx.AsyncClient, databases: Databases) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    rotated = await client.post(
        f"{panel(room)}/key", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )

    assert rotated.status_code == 200
    assert rotated.text.lstrip().startswith('<section id="stream-panel"')


async def test_a_revoked_key_stops_any_encoder_from_starting_the_room(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    revoked = await client.post(f"{panel(room)}/key/revoke", data={"csrf_token": token})

    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/seller/live/{room.public_name}"  # the console
    assert "No stream key" in (await client.get(panel(room))).text
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 403


async def test_the_host_rehearses_then_opens_the_room_to_viewers(
    client: httpx.AsyncClient, databases: Databases, settings: Settings, hub: RecordingHub
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)

    chose = await client.post(
        f"{panel(room)}/rehearsal", data={"csrf_token": token, "rehearsal": "true"}
    )
    assert chose.status_code == 303
    await publish(client, settings, room.public_name, room.key)
    assert (await load(databases, room.public_name)).status == "rehearsal"
    opened = await client.post(f"{panel(room)}/open", data={"csrf_token": token})

    assert opened.status_code == 303
    assert (await load(databases, room.public_name)).status == "live"
    assert await event_types(databases, "main") == ["LiveRoomStarted"]
    assert hub.sent[-1] == (room.public_name, {"type": "status", "status": "live"})


async def test_rehearsal_cannot_be_switched_once_the_stream_started(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)
    await publish(client, settings, room.public_name, room.key)

    refused = await client.post(
        f"{panel(room)}/rehearsal", data={"csrf_token": token, "rehearsal": "true"}
    )

    assert refused.status_code == 409
    assert "only before the stream starts" in refused.text
    assert (await load(databases, room.public_name)).rehearsal is False


async def test_ending_the_live_ends_the_room_even_when_nginx_is_unreachable(
    client: httpx.AsyncClient,
    databases: Databases,
    settings: Settings,
    hub: RecordingHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "media_control_url", "http://127.0.0.1:9/control")
    room = await scheduled_room(databases)
    token = await host_signed_in(client, room)
    await publish(client, settings, room.public_name, room.key)

    ended = await client.post(f"{panel(room)}/end", data={"csrf_token": token})

    assert ended.status_code == 303
    gone = await load(databases, room.public_name)
    assert gone.status == "ended"
    assert gone.stream_key_hash is None
    assert hub.sent[-1] == (room.public_name, {"type": "status", "status": "ended"})
    # nginx reports the dropped stream afterwards; the room stays ended
    assert (await publish_done(client, settings, room.public_name)).status_code == 200
    assert (await load(databases, room.public_name)).status == "ended"


async def test_another_shops_merchant_cannot_touch_the_stream(
    client: httpx.AsyncClient, databases: Databases
) -> None:
    room = await scheduled_room(databases)
    stranger = await factories.merchant(databases)
    token = await sign_in_merchant(client, stranger.email)

    looked = await client.get(panel(room), headers=BROWSER)
    rotated = await client.post(f"{panel(room)}/key", data={"csrf_token": token})

    assert (looked.status_code, rotated.status_code) == (403, 403)
    assert room.key[-4:] not in looked.text


async def test_stream_forms_need_the_csrf_token(
    client: httpx.AsyncClient, databases: Databases, settings: Settings
) -> None:
    room = await scheduled_room(databases)
    await host_signed_in(client, room)
    assert await csrf_token(client, panel(room))

    forged = await client.post(f"{panel(room)}/key/revoke", data={"csrf_token": "forged"})

    assert forged.status_code == 403
    assert (await publish(client, settings, room.public_name, room.key)).status_code == 200
