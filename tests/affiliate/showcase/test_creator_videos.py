"""A creator posts short videos tagging products of their showcase; shoppers see who
hosts them."""

import asyncio

from sqlalchemy import select

from shoptide.content.models import Video
from shoptide.creators.models import Creator
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate.creator_steps import join, showcase
from tests.content import conftest as content_fixtures
from tests.content.conftest import wait_until_processed
from tests.pages import BROWSER, csrf_token

clip = content_fixtures.clip  # a real 3 s clip, made with ffmpeg once per session


async def _joined(client, databases) -> Creator:
    assert (await join(client, display_name="Maya Putri")).status_code == 303
    async with databases.session(GLOBAL_CELL, write=False) as session:
        creator = await session.scalar(select(Creator))
    assert creator is not None
    return creator


async def _upload(client, clip_path, product_ids: list[int], caption: str = "My haul"):
    token = await csrf_token(client, "/creator/videos")
    body = await asyncio.to_thread(clip_path.read_bytes)
    return await client.post(
        "/creator/videos",
        headers=BROWSER,
        data={"csrf_token": token, "caption": caption, "product_ids": list(map(str, product_ids))},
        files={"video": ("clip.mp4", body, "video/mp4")},
    )


async def _videos(databases) -> list[Video]:
    async with databases.session("main", write=False) as session:
        return list(await session.scalars(select(Video)))


async def test_a_creator_posts_a_video_tagging_a_showcase_product(client, app, databases, clip):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, title="Linen scarf")
    maya = await _joined(client, databases)
    await showcase(databases, maya.id, item.id)

    form = await client.get("/creator/videos", headers=BROWSER)
    uploaded = await _upload(client, clip, [item.id])
    listed = await client.get("/creator/videos", headers=BROWSER)

    assert f'name="product_ids" value="{item.id}"' in form.text
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == "/creator/videos"
    [video] = await _videos(databases)
    assert (video.host_user_id, video.shop_id, video.market_code) == (maya.user_id, None, "US")
    assert "Processing" in listed.text and "My haul" in listed.text

    await app.state.dispatcher.run_once()
    ready = await wait_until_processed(databases, "US", video.id)
    assert ready.status == "ready", ready.error
    watched = await client.get(f"/videos/US/{video.id}", headers=BROWSER)
    home = await client.get("/creator", headers=BROWSER)

    assert "By Maya Putri" in watched.text and 'href="/@maya_styles"' in watched.text
    assert "Linen scarf" in watched.text
    assert '<td class="count" id="count-videos">1</td>' in home.text
    assert '<td class="count" id="count-showcase">1</td>' in home.text


async def test_a_product_outside_the_showcase_cannot_be_tagged(client, databases, clip):
    shop = await factories.merchant(databases)
    on_showcase = await factories.product(databases, shop)
    elsewhere = await factories.product(databases, shop)
    maya = await _joined(client, databases)
    await showcase(databases, maya.id, on_showcase.id)

    refused = await _upload(client, clip, [on_showcase.id, elsewhere.id])

    assert refused.status_code == 422
    assert f"Product {elsewhere.id} is not on your showcase" in refused.text
    assert await _videos(databases) == []


async def test_a_shops_video_names_no_creator(client, databases):
    shop = await factories.merchant(databases)
    async with databases.session("main") as session:
        video = Video(market_code="US", host_user_id=shop.id, shop_id=shop.shop_id, status="ready")
        session.add(video)
        await session.flush()

    page = await client.get(f"/videos/US/{video.id}", headers=BROWSER)

    assert page.status_code == 200
    assert 'class="video-host"' not in page.text
