"""Signing in and out through the pages."""

from tests import factories
from tests.pages import BROWSER, csrf_token


async def _sign_in(client, email, password=factories.PASSWORD, account="shopper"):
    token = await csrf_token(client)
    return await client.post(
        "/signin",
        headers=BROWSER,
        data={"account": account, "email": email, "password": password, "csrf_token": token},
    )


async def test_a_shopper_who_forgot_to_pick_their_market_is_taken_to_it(client, databases):
    siti = await factories.shopper(databases, "ID", email="siti@example.id")

    signed_in = await _sign_in(client, siti.email)  # the page is still on the US market
    home = await client.get("/", headers=BROWSER)

    assert signed_in.status_code == 303
    assert 'lang="id"' in home.text


async def test_a_wrong_password_says_so_and_keeps_the_email(client, databases):
    joe = await factories.shopper(databases, "US")

    refused = await _sign_in(client, joe.email, password="not the password")
    cart = await client.get("/cart", headers=BROWSER)

    assert refused.status_code == 400
    assert "Email or password is wrong." in refused.text
    assert f'value="{joe.email}"' in refused.text
    assert cart.status_code == 303  # still signed out


async def test_a_sign_in_form_without_its_token_is_refused(client, databases):
    joe = await factories.shopper(databases, "US")
    await client.get("/signin")

    forged = await client.post(
        "/signin",
        headers=BROWSER,
        data={"account": "shopper", "email": joe.email, "password": factories.PASSWORD},
    )

    assert forged.status_code == 403
    assert (await client.get("/cart", headers=BROWSER)).status_code == 303


async def test_signing_out_ends_the_session(client, databases):
    joe = await factories.shopper(databases, "US")
    await _sign_in(client, joe.email)
    assert (await client.get("/cart", headers=BROWSER)).status_code == 200

    token = await csrf_token(client, "/cart")
    out = await client.post("/signout", data={"csrf_token": token})

    assert out.status_code == 303
    assert (await client.get("/cart", headers=BROWSER)).status_code == 303


async def test_the_session_cookie_is_http_only_and_same_site(client, databases):
    response = await client.get("/signin")

    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
