"""Two market cells in one database (the `shared_cells` fixture): a shop's videos from both
markets are listed once each, in Seller Center and in the API."""

from shoptide.content import service
from shoptide.content.media import Probe
from tests import factories
from tests.pages import sign_in_merchant

CLIP = Probe(width=720, height=1280, duration_ms=15_000, has_audio=True)


async def _video(databases, shop, market: str, caption: str) -> int:
    async with databases.session(databases.settings.cell_of_market(market)) as session:
        video = await service.create(
            session,
            market=market,
            shop_id=shop.shop_id,
            host_user_id=shop.id,
            caption=caption,
            product_ids=[],
            upload_path=f"videos/{caption}/upload.mp4",
            facts=CLIP,
        )
    return video.id


async def test_a_shops_videos_in_two_markets_are_listed_once_each(shared_cells):
    client, databases = shared_cells
    shop = await factories.merchant(databases)
    await _video(databases, shop, "US", "Boston spring")
    await _video(databases, shop, "ID", "Jakarta rain")

    api = await client.get("/api/v1/seller/videos", headers=shop.headers)
    await sign_in_merchant(client, shop.email)
    page = await client.get("/seller/videos")

    assert sorted(v["caption"] for v in api.json()) == ["Boston spring", "Jakarta rain"]
    assert page.text.count("Boston spring") == 1 and page.text.count("Jakarta rain") == 1
