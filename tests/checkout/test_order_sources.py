"""A purchase remembers where it started: the video the shopper added the product from."""

from sqlalchemy import select

from shoptide.content.models import Video, VideoProduct
from shoptide.events import OutboxEvent
from shoptide.orders.models import Order
from tests import factories


async def ready_video(databases, host: factories.Merchant, product_id: int) -> int:
    async with databases.session("main") as s:
        video = Video(
            market_code="US",
            host_user_id=host.id,
            shop_id=host.shop_id,
            caption="Try-on",
            status="ready",
            products=[VideoProduct(product_id=product_id)],
        )
        s.add(video)
        await s.flush()
        return video.id


async def checkout(client, shopper, sku: str, video_id: int | None):
    added = await client.post(
        "/api/v1/cart/items",
        json={"sku": sku, "quantity": 1, "video_id": video_id},
        headers=shopper.headers,
    )
    assert added.status_code == 200, added.text
    return await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**shopper.headers, "Idempotency-Key": f"video-{shopper.id:06d}"},
    )


async def test_an_order_bought_from_a_video_names_the_video_and_its_host(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    video_id = await ready_video(databases, shop, item.id)
    shopper = await factories.shopper(databases)

    assert (await checkout(client, shopper, item.skus[0], video_id)).status_code == 201

    async with databases.session("main", write=False) as s:
        order = await s.scalar(select(Order))
        placed = await s.scalar(select(OutboxEvent).where(OutboxEvent.type == "OrderPlaced"))
    assert (order.source_kind, order.source_id, order.source_host_id) == (
        "video",
        video_id,
        shop.id,
    )
    assert (placed.payload["source_kind"], placed.payload["source_id"]) == ("video", video_id)


async def test_a_video_that_does_not_show_the_product_is_not_its_source(client, databases):
    shop = await factories.merchant(databases)
    shown, bought = (
        await factories.product(databases, shop),
        await factories.product(databases, shop),
    )
    video_id = await ready_video(databases, shop, shown.id)
    shopper = await factories.shopper(databases)

    assert (await checkout(client, shopper, bought.skus[0], video_id)).status_code == 201

    async with databases.session("main", write=False) as s:
        order = await s.scalar(select(Order))
    assert (order.source_kind, order.source_id) == ("", None)
