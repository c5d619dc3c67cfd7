"""Signing out ends the session wherever its cookie is: a copy made before (a shared
computer's, a stolen one) is signed out too, at once rather than 14 days later."""

import httpx

from tests import factories
from tests.pages import BROWSER, sign_in_merchant, sign_in_shopper


def _copy_of(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser holding a copy of the client's session cookie."""
    copy = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    copy.cookies.set("shoptide", client.cookies["shoptide"])
    return copy


async def _sign_out(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 303


def _signed_out(page: httpx.Response) -> bool:
    return page.status_code == 303 and page.headers["location"].startswith("/signin")


async def test_a_copy_of_the_cookie_is_signed_out_with_the_shopper(client, databases):
    joe = await factories.shopper(databases, "US")
    token = await sign_in_shopper(client, joe)
    async with _copy_of(client) as stolen:
        assert (await stolen.get("/notifications", headers=BROWSER)).status_code == 200

        await _sign_out(client, token)
        replayed = await stolen.get("/notifications", headers=BROWSER)

    assert _signed_out(replayed)


async def test_a_merchant_signed_out_leaves_seller_center_to_no_copy(client, databases):
    merchant = await factories.merchant(databases)
    token = await sign_in_merchant(client, merchant.email)
    async with _copy_of(client) as stolen:
        await _sign_out(client, token)
        replayed = await stolen.get("/seller", headers=BROWSER)

    assert _signed_out(replayed)


async def test_the_shopper_signs_in_again_after_signing_out(client, databases):
    joe = await factories.shopper(databases, "US")
    await _sign_out(client, await sign_in_shopper(client, joe))

    await sign_in_shopper(client, joe)
    inbox = await client.get("/notifications", headers=BROWSER)

    assert inbox.status_code == 200


async def test_signing_out_with_an_ended_session_ends_no_newer_one(client, databases):
    """A copy already signed out can't sign the shopper out of the session they started
    since (its form token still matches its own cookie)."""
    joe = await factories.shopper(databases, "US")
    old_token = await sign_in_shopper(client, joe)
    async with _copy_of(client) as old:
        await _sign_out(client, old_token)
        await sign_in_shopper(client, joe)

        await old.post("/signout", data={"csrf_token": old_token})
        inbox = await client.get("/notifications", headers=BROWSER)

    assert inbox.status_code == 200
