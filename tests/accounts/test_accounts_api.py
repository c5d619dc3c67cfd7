"""The accounts API as an app uses it: register, sign in for a token, read who you are, keep
an address book that only its owner sees."""

from tests import factories
from tests.factories import ADDRESS, PASSWORD, bearer


async def _register(client, email: str = "nia@example.com", market: str = "ID", **extra):
    body = {"email": email, "password": PASSWORD, "display_name": "Nia", "market": market}
    return await client.post("/api/v1/auth/register", json={**body, **extra})


async def test_a_new_shopper_registers_in_a_market_and_the_token_says_who_they_are(client):
    registered = await _register(client)

    assert registered.status_code == 201, registered.text
    me = await client.get("/api/v1/me", headers=bearer(registered.json()["token"]))
    assert me.json() | {"id": 0} == {
        "id": 0,
        "email": "nia@example.com",
        "display_name": "Nia",
        "role": "shopper",
        "market": "ID",
    }


async def test_registering_an_email_twice_in_a_market_says_to_sign_in(client):
    assert (await _register(client)).status_code == 201

    again = await _register(client, email="NIA@example.com")

    assert again.status_code == 409
    assert "already exists" in again.json()["error"]["message"]


async def test_a_short_password_or_an_unknown_market_is_refused_and_creates_nothing(client):
    short = await _register(client, password="short")
    nowhere = await _register(client, email="zed@example.com", market="ZZ")

    assert short.status_code == 422 and "password" in short.json()["error"]["message"].lower()
    assert 400 <= nowhere.status_code < 500
    signed_in = await client.post(
        "/api/v1/auth/token",
        json={"email": "nia@example.com", "password": "short", "market": "ID"},
    )
    assert signed_in.status_code == 401


async def test_a_shopper_signs_in_to_their_market_only_with_the_right_password(client, databases):
    shopper = await factories.shopper(databases, market="TH")

    def sign_in(password: str, market: str):
        body = {"email": shopper.email, "password": password, "market": market}
        return client.post("/api/v1/auth/token", json=body)

    right = await sign_in(PASSWORD, "TH")
    wrong = await sign_in("not the password", "TH")

    assert right.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(right.json()["token"]))).json()[
        "market"
    ] == "TH"
    assert wrong.status_code == 401


async def test_an_address_is_kept_once_and_only_its_owner_sees_it(client, databases):
    owner = await factories.shopper(databases)
    stranger = await factories.shopper(databases)

    first = await client.post("/api/v1/addresses", json=ADDRESS, headers=owner.headers)
    again = await client.post("/api/v1/addresses", json=ADDRESS, headers=owner.headers)
    mine = await client.get("/api/v1/addresses", headers=owner.headers)
    theirs = await client.get("/api/v1/addresses", headers=stranger.headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert [(a["line1"], a["country_code"]) for a in mine.json()] == [("1 Main Street", "US")]
    assert theirs.json() == []


async def test_the_address_book_is_for_shoppers(client, databases):
    merchant = await factories.merchant(databases)

    listed = await client.get("/api/v1/addresses", headers=merchant.headers)

    assert listed.status_code == 403
