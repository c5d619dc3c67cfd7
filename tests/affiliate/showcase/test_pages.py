"""A creator's public showcase (/@handle): what they recommend, priced in the shopper's
market; opening a product there makes the creator the shopper's touch."""

from sqlalchemy import select

from shoptide.creators.models import CreatorTouch
from tests import factories
from tests.affiliate import support
from tests.affiliate.creator_steps import ready_video, showcase, touches_of
from tests.pages import BROWSER, csrf_token, sign_in_shopper
from tests.web.test_translations import pick_market


async def test_the_showcase_lists_products_at_the_viewers_market_prices(client, databases):
    shop = await factories.merchant(databases, shop_name="Linen Co")
    scarf = await factories.product(
        databases, shop, title="Linen scarf", prices={"US": 1999, "DE": 1799}
    )
    hat = await factories.product(databases, shop, title="Sun hat", prices={"US": 2500})
    maya = await support.creator(databases)
    await showcase(databases, maya.id, scarf.id, hat.id)

    in_us = await client.get(f"/@{maya.handle}", headers=BROWSER)
    await pick_market(client, "DE")
    in_germany = await client.get(f"/@{maya.handle.upper()}", headers=BROWSER)

    assert in_us.status_code == 200
    assert f"@{maya.handle}" in in_us.text
    assert in_us.text.index("Linen scarf") < in_us.text.index("Sun hat")  # her order
    assert "$19.99" in in_us.text and "$25.00" in in_us.text
    assert f'href="/@{maya.handle}/p/{scarf.id}"' in in_us.text
    assert in_germany.status_code == 200
    assert "Linen scarf" in in_germany.text and "17,99\xa0€" in in_germany.text
    assert "Sun hat" not in in_germany.text  # not sold in Germany


async def test_an_unknown_creator_code_is_a_404_that_says_so(client, databases):
    response = await client.get("/@nobody_here", headers=BROWSER)
    click = await client.get("/@nobody_here/p/1", headers=BROWSER)

    assert response.status_code == 404
    assert "There is no creator with the code" in response.text
    assert "nobody_here" in response.text
    assert click.status_code == 404


async def test_the_showcase_shows_the_creators_videos_in_the_market(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    await showcase(databases, maya.id, item.id)
    hers = await ready_video(databases, host_user_id=maya.user_id, product_id=item.id)
    shops = await ready_video(
        databases, host_user_id=shop.id, product_id=item.id, shop_id=shop.shop_id
    )

    page = await client.get(f"/@{maya.handle}", headers=BROWSER)

    assert f'href="/videos/US/{hers}"' in page.text
    assert f'href="/videos/US/{shops}"' not in page.text


async def test_a_shopper_who_opens_a_showcase_product_is_touched_by_the_creator(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    await showcase(databases, maya.id, item.id)
    shopper = await factories.shopper(databases)
    await sign_in_shopper(client, shopper)

    click = await client.get(f"/@{maya.handle}/p/{item.id}", headers=BROWSER)
    product = await client.get(click.headers["location"], headers=BROWSER)

    assert click.status_code == 303
    assert click.headers["location"] == f"/p/{item.id}"
    [touch] = await touches_of(databases, shopper.id)
    assert (touch.creator_id, touch.product_id, touch.source_kind) == (maya.id, item.id, "showcase")
    assert f'Recommended by <a href="/@{maya.handle}">@{maya.handle}</a>' in product.text


async def test_a_visitors_click_waits_until_they_sign_in(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    await showcase(databases, maya.id, item.id)
    shopper = await factories.shopper(databases)

    click = await client.get(f"/@{maya.handle}/p/{item.id}", headers=BROWSER)
    async with databases.session("main", write=False) as session:
        before_sign_in = list(await session.scalars(select(CreatorTouch)))
    await sign_in_shopper(client, shopper)

    assert click.status_code == 303
    assert before_sign_in == []  # a visitor has no cell to keep a touch in
    [touch] = await touches_of(databases, shopper.id)
    assert (touch.creator_id, touch.product_id, touch.source_kind) == (maya.id, item.id, "showcase")


async def test_a_merchant_opening_a_showcase_product_touches_nobody(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    maya = await support.creator(databases)
    await showcase(databases, maya.id, item.id)
    token = await csrf_token(client)
    await client.post(
        "/signin",
        data={
            "account": "business",
            "email": shop.email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )

    click = await client.get(f"/@{maya.handle}/p/{item.id}", headers=BROWSER)

    assert click.status_code == 303
    async with databases.session("main", write=False) as session:
        assert list(await session.scalars(select(CreatorTouch))) == []
