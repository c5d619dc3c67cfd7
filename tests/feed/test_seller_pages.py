"""Seller Center's feed page: the shop's items, their stage, and why, in plain words."""

import time

from shoptide.feed import service
from shoptide.feed.items import IMPRESSION, WATCH, Signal
from shoptide.feed.ladder import StageChange
from tests import factories
from tests.feed import support
from tests.pages import sign_in_merchant


async def _shop_with_video(databases, *, caption: str = "Unboxing", variants: int = 1):
    shop = await factories.merchant(databases)
    product = await factories.product(databases, shop, variants=variants, title="Harbour Mug")
    video_id = await support.video(databases, shop, product_ids=[product.id], caption=caption)
    return shop, product, video_id


T0 = time.time() - 3600


async def _history(databases, key: str, *, shown: int, clicks: int = 0, done: int = 0) -> None:
    signals = [Signal(f"user:{i}", "US", key, IMPRESSION, T0 + i) for i in range(shown)]
    signals += [Signal(f"user:{i}", "US", key, "click", T0 + i) for i in range(clicks)]
    signals += [Signal(f"user:{i}", "US", key, WATCH, T0 + i, value=15_000) for i in range(done)]
    async with databases.session("main") as s:
        await service.record(s, signals)


async def test_a_merchant_sees_their_items_stage_and_why(client, databases):
    shop, _, video_id = await _shop_with_video(databases, caption="Linen season")
    other, _, others_video = await _shop_with_video(databases, caption="Rival reel")
    await _history(databases, f"video:{video_id}", shown=100, clicks=2, done=18)
    await _history(databases, f"video:{others_video}", shown=100, clicks=10, done=50)
    async with databases.session("main") as s:
        await service.save_stages(
            s,
            [
                StageChange(f"video:{video_id}", "US", shop.shop_id, 0, "stopped", "", T0),
                StageChange(f"video:{others_video}", "US", other.shop_id, 1, "growing", "", T0),
            ],
        )
    await sign_in_merchant(client, shop.email)

    page = await client.get("/seller/feed")

    assert page.status_code == 200
    assert "Linen season" in page.text and "Rival reel" not in page.text
    assert "Starter pool" in page.text and "Stopped" in page.text and "100 impressions" in page.text
    # the median is over both videos: clicks (2%, 10%) -> 6%, completion (18%, 50%) -> 34%
    assert "Stayed in the starter pool: click rate 2% vs 6% median" in page.text
    assert '<a href="/seller/feed">Feed</a>' in page.text


async def test_a_shop_without_items_is_told_how_to_get_into_the_feed(client, databases):
    shop = await factories.merchant(databases)
    await sign_in_merchant(client, shop.email)

    page = await client.get("/seller/feed")

    assert "No videos or live rooms yet." in page.text
