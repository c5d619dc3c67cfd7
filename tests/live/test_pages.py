"""Shoppers find the market's rooms on /live and watch a room's page."""

from shoptide.live import rooms
from tests.live import support
from tests.pages import BROWSER


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
