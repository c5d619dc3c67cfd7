"""Which creator a purchase is credited to: the last creator touch within the market's
attribution window, stamped on the cart line when the product is added, carried to the
order line."""

from datetime import timedelta

from sqlalchemy import select

from shoptide.checkout import flows as checkout_flows
from shoptide.checkout import service as checkout_service
from shoptide.checkout.models import CartLine
from shoptide.creators import service as creators_service
from shoptide.db import utcnow
from shoptide.markets import service as markets_service
from shoptide.orders.models import OrderLine
from shoptide.orders.service import OrderSource
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate import support
from tests.affiliate.creator_steps import cart_line, ready_video, touches_of
from tests.pages import BROWSER, csrf_token, sign_in_shopper


async def _add(client, shopper, sku: str, video_id: int | None = None) -> None:
    added = await client.post(
        "/api/v1/cart/items",
        json={"sku": sku, "quantity": 1, "video_id": video_id},
        headers=shopper.headers,
    )
    assert added.status_code == 200, added.text


async def _touch(databases, shopper, product_id: int, creator_id: int, ago=timedelta(0)):
    async with databases.session(shopper.cell) as session:
        await creators_service.record_touch(
            session,
            shopper_id=shopper.id,
            product_id=product_id,
            creator_id=creator_id,
            source_kind="link",
            at=utcnow() - ago,
        )


async def _order_lines(databases) -> list[OrderLine]:
    async with databases.session("main", write=False) as session:
        return list(await session.scalars(select(OrderLine).order_by(OrderLine.id)))


async def test_an_unknown_creator_code_in_a_link_is_a_404_that_says_so(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)

    response = await client.get(f"/p/{item.id}?creator=nosuch", headers=BROWSER)

    assert response.status_code == 404
    assert "There is no creator with the code" in response.text and "nosuch" in response.text


async def test_a_creator_link_is_credited_from_cart_to_order_line(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)

    product = await client.get(f"/p/{item.id}?creator=@{maya.handle.upper()}", headers=BROWSER)
    token = await csrf_token(client, f"/p/{item.id}")
    added = await client.post("/cart/add", data={"sku": item.skus[0], "csrf_token": token})
    cart = await client.get("/cart", headers=BROWSER)
    paid = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**shopper.headers, "Idempotency-Key": "creator-link-1"},
    )

    recommended = f'Recommended by <a href="/@{maya.handle}">@{maya.handle}</a>'
    assert product.status_code == 200 and recommended in product.text
    assert added.status_code == 303
    assert recommended in cart.text
    assert paid.status_code == 201, paid.text
    [line] = await _order_lines(databases)
    [touch] = await touches_of(databases, shopper.id)
    assert (line.creator_id, line.creator_source, line.creator_touched_at) == (
        maya.id,
        "link",
        touch.touched_at,
    )


async def test_a_touch_older_than_the_window_does_not_stamp(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    await _touch(databases, shopper, item.id, maya.id, ago=timedelta(days=7, minutes=1))

    await _add(client, shopper, item.skus[0])

    assert (await cart_line(databases, shopper.id)).creator_id is None


async def test_the_window_is_the_markets(databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    await _touch(databases, shopper, item.id, maya.id, ago=timedelta(days=20))

    async with databases.session(GLOBAL_CELL, write=False) as global_:
        market = await markets_service.get(global_, "US")
        market.attribution_window_days = 30  # as an operator may set it (not saved here)
        async with databases.session("main") as cell:
            cart = await checkout_service.set_quantity(
                cell,
                global_,
                shopper_id=shopper.id,
                market=market,
                sku=item.skus[0],
                quantity=1,
                add=True,
            )

    [line] = cart.items
    assert line.touch is not None and line.touch.creator_id == maya.id
    assert line.recommended_by == maya.handle


async def test_the_last_touch_wins(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya, ben = await support.creator(databases), await support.creator(databases)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)

    await client.get(f"/p/{item.id}?creator={maya.handle}", headers=BROWSER)
    await client.get(f"/@{ben.handle}/p/{item.id}", headers=BROWSER)
    await _add(client, shopper, item.skus[0])

    line = await cart_line(databases, shopper.id)
    assert (line.creator_id, line.creator_source) == (ben.id, "showcase")


async def test_the_stamp_is_made_at_add_to_cart_and_renewed_by_adding_again(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya, ben = await support.creator(databases), await support.creator(databases)
    shopper = await factories.shopper(databases)
    await _touch(databases, shopper, item.id, maya.id)
    await _add(client, shopper, item.skus[0])

    await _touch(databases, shopper, item.id, ben.id)
    changed = await client.put(
        f"/api/v1/cart/items/{item.skus[0]}", json={"quantity": 3}, headers=shopper.headers
    )
    after_quantity_change = (await cart_line(databases, shopper.id)).creator_id
    await _add(client, shopper, item.skus[0])

    assert changed.status_code == 200
    assert after_quantity_change == maya.id  # recorded at add-to-cart
    assert (await cart_line(databases, shopper.id)).creator_id == ben.id


async def test_buying_from_a_creators_video_credits_the_creator(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    video_id = await ready_video(databases, host_user_id=maya.user_id, product_id=item.id)
    shopper = await factories.shopper(databases)

    await _add(client, shopper, item.skus[0], video_id=video_id)
    paid = await client.post(
        "/api/v1/checkout",
        json={"address": factories.ADDRESS, "card_number": "4242424242424242"},
        headers={**shopper.headers, "Idempotency-Key": "creator-video-1"},
    )

    assert paid.status_code == 201, paid.text
    [touch] = await touches_of(databases, shopper.id)
    assert (touch.creator_id, touch.source_kind, touch.source_id) == (maya.id, "video", video_id)
    [line] = await _order_lines(databases)
    assert (line.creator_id, line.creator_source, line.creator_source_id) == (
        maya.id,
        "video",
        video_id,
    )


async def test_a_merchants_own_video_credits_no_creator(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    video_id = await ready_video(
        databases, host_user_id=shop.id, product_id=item.id, shop_id=shop.shop_id
    )
    shopper = await factories.shopper(databases)

    await _add(client, shopper, item.skus[0], video_id=video_id)

    line = await cart_line(databases, shopper.id)
    assert (line.source_kind, line.creator_id) == ("video", None)
    assert await touches_of(databases, shopper.id) == []


async def test_a_line_bought_on_the_spot_in_a_creators_room_credits_the_creator(app, databases):
    """buy_now (a live room's drawer) is add-to-cart and payment at once."""
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    async with databases.session(GLOBAL_CELL, write=False) as session:
        market = await markets_service.get(session, "US")
        purchase = await checkout_service.purchase(
            session,
            market=market,
            sku=item.skus[0],
            quantity=1,
            source=OrderSource("live", 41, maya.user_id),
        )
    attempt = checkout_service.Attempt(
        shopper.id, market, "live-buy-0001", support.ADDRESS, timedelta(minutes=15)
    )

    result = await checkout_flows.buy_now(
        databases,
        app.state.gateway,
        attempt=attempt,
        purchases=[purchase],
        card_number="4242424242424242",
    )

    assert result.paid
    [line] = await _order_lines(databases)
    assert (line.creator_id, line.creator_source, line.creator_source_id) == (maya.id, "live", 41)


async def test_a_visitor_who_follows_a_link_then_signs_up_is_credited(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)

    product = await client.get(f"/p/{item.id}?creator={maya.handle}", headers=BROWSER)
    token = await csrf_token(client, "/signup")
    joined = await client.post(
        "/signup",
        data={
            "display_name": "Ada",
            "email": "ada@example.com",
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    added = await client.post("/cart/add", data={"sku": item.skus[0], "csrf_token": token})

    assert f"@{maya.handle}</a>" in product.text  # the visitor sees who recommends it
    assert joined.status_code == 303 and added.status_code == 303
    async with databases.session("main", write=False) as session:
        line = await session.scalar(select(CartLine))
    assert (line.creator_id, line.creator_source) == (maya.id, "link")
