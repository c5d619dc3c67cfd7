"""A creator joins, signs in where merchants do, and works in Creator Center; nobody else
gets in there."""

import pytest
from sqlalchemy import func, select

from shoptide.accounts.models import User
from shoptide.creators.models import Creator
from shoptide.settings import GLOBAL_CELL
from tests import factories
from tests.affiliate.creator_steps import join, sign_in_creator
from tests.pages import BROWSER, csrf_token, sign_in_merchant, sign_in_shopper


async def _accounts(databases) -> tuple[int, int]:
    async with databases.session(GLOBAL_CELL, write=False) as session:
        users = await session.scalar(select(func.count()).select_from(User))
        profiles = await session.scalar(select(func.count()).select_from(Creator))
    return users, profiles


async def test_a_creator_joins_and_lands_in_creator_center(client, databases):
    joined = await join(client, handle="@Maya_Styles", market="ID", display_name="Maya Putri")
    home = await client.get("/creator", headers=BROWSER)

    assert joined.status_code == 303
    assert joined.headers["location"] == "/creator"
    assert home.status_code == 200
    assert '<a href="/creator">Creator Center</a>' in home.text
    assert '<strong id="creator-handle">@maya_styles</strong>' in home.text
    assert 'href="/@maya_styles"' in home.text
    assert "/p/&lt;product id&gt;?creator=maya_styles" in home.text
    assert '<td class="count" id="count-showcase">0</td>' in home.text
    assert '<td class="count" id="count-videos">0</td>' in home.text
    for page in ("/creator/marketplace", "/creator/showcase", "/creator/earnings"):
        assert f'href="{page}"' in home.text
    async with databases.session(GLOBAL_CELL, write=False) as session:
        user = await session.scalar(select(User).where(User.email == "maya@example.com"))
        creator = await session.scalar(select(Creator))
    assert (user.role, user.market_code) == ("creator", "ID")
    assert (creator.user_id, creator.handle, creator.market_code) == (user.id, "maya_styles", "ID")
    assert creator.display_name == "Maya Putri"


async def test_a_taken_handle_is_refused_with_409_and_nothing_is_written(client, databases):
    await join(client)
    await client.post("/signout", data={"csrf_token": await csrf_token(client, "/creator")})
    before = await _accounts(databases)

    again = await join(client, email="other@example.com", handle="MAYA_STYLES")

    assert again.status_code == 409
    assert "The handle @maya_styles is taken. Choose another." in again.text
    assert 'value="other@example.com"' in again.text  # what they typed is kept
    assert await _accounts(databases) == before


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"handle": "no spaces!"}, 422, "A creator handle is 3 to 30 letters, digits or"),
        ({"handle": "ab"}, 422, "A creator handle is 3 to 30 letters, digits or"),
        ({"password": "short"}, 422, "Choose a password of at least 8 characters."),
        ({"market": "XX"}, 422, "We don&#39;t sell in market &#39;XX&#39;."),
        ({"email": "not-an-email"}, 422, "Enter a valid email address."),
    ],
)
async def test_bad_sign_up_input_is_refused_and_nothing_is_written(
    client, databases, fields, status, message
):
    response = await join(client, **fields)

    assert response.status_code == status
    assert message in response.text
    assert await _accounts(databases) == (0, 0)
    assert (await client.get("/creator", headers=BROWSER)).status_code == 303  # not signed in


async def test_an_email_already_used_by_a_merchant_is_refused(client, databases):
    merchant = await factories.merchant(databases)
    before = await _accounts(databases)

    response = await join(client, email=merchant.email)

    assert response.status_code == 409
    assert "An account with this email already exists." in response.text
    assert await _accounts(databases) == before


async def test_a_creator_signs_in_where_merchants_do_and_lands_on_creator_center(client, databases):
    await join(client)
    await client.post("/signout", data={"csrf_token": await csrf_token(client, "/creator")})

    as_merchant = await client.post(
        "/signin",
        data={
            "account": "business",
            "email": "maya@example.com",
            "password": factories.PASSWORD,
            "csrf_token": await csrf_token(client),
        },
    )
    signed_in = await sign_in_creator(client, "maya@example.com")

    assert as_merchant.status_code == 400  # a creator account is not a merchant's
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/creator"
    assert (await client.get("/creator", headers=BROWSER)).status_code == 200


async def test_shoppers_and_merchants_cannot_open_creator_center(client, databases):
    shopper = await factories.shopper(databases)
    merchant = await factories.merchant(databases)

    visitor = await client.get("/creator", headers=BROWSER)
    await sign_in_shopper(client, shopper)
    as_shopper = await client.get("/creator", headers=BROWSER)
    shopper_nav = await client.get("/", headers=BROWSER)
    await client.post("/signout", data={"csrf_token": await csrf_token(client, "/")})
    await sign_in_merchant(client, merchant.email)
    as_merchant = await client.get("/creator/videos", headers=BROWSER)

    assert visitor.status_code == 303
    assert visitor.headers["location"] == "/signin?next=/creator"
    assert as_shopper.status_code == 403
    assert "Creator Center is for creator accounts." in as_shopper.text
    assert "Creator Center</a>" not in shopper_nav.text
    assert as_merchant.status_code == 403
