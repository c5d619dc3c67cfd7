"""API bearer tokens as an app holds them: they expire, their owner lists and revokes them
(and signs out with one), nobody else can; demo accounts and creators get one too."""

import pytest

from shoptide.demo.shoppers import demo_shopper_email
from shoptide.demo.world import DEMO_MERCHANT
from tests import factories
from tests.affiliate import factories as affiliate_factories
from tests.factories import PASSWORD, bearer


async def _token(client, email: str, market: str | None = None):
    body = {"email": email, "password": PASSWORD} | ({"market": market} if market else {})
    return await client.post("/api/v1/auth/token", json=body)


async def _signed_in(client, email: str, market: str | None = None) -> str:
    response = await _token(client, email, market)
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def test_a_token_works_until_it_expires_then_says_so(client, databases, monkeypatch):
    shopper = await factories.shopper(databases, "US")
    fresh = (await _token(client, shopper.email, "US")).json()
    monkeypatch.setattr(databases.settings, "api_token_days", 0)  # issued already at its end
    stale = await _signed_in(client, shopper.email, "US")

    works = await client.get("/api/v1/me", headers=bearer(fresh["token"]))
    expired = await client.get("/api/v1/me", headers=bearer(stale))

    assert fresh["expires_in"] == 30 * 24 * 3600
    assert works.status_code == 200
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


async def test_the_owner_lists_their_tokens_but_never_sees_them_again(client, databases):
    shopper = await factories.shopper(databases, "ID")
    phone = await _signed_in(client, shopper.email, "ID")
    laptop = await _signed_in(client, shopper.email, "ID")

    listed = await client.get("/api/v1/auth/tokens", headers=bearer(laptop))

    assert listed.status_code == 200
    tokens = listed.json()
    assert len(tokens) == 3  # the factory's, the phone's, the laptop's
    assert [t["current"] for t in tokens] == [True, False, False]  # newest first
    assert all(t["expires_at"] > t["created_at"] for t in tokens)
    assert phone not in listed.text and laptop not in listed.text


async def test_a_revoked_token_stops_working_and_the_others_keep_working(client, databases):
    merchant = await factories.merchant(databases)
    lost = await _signed_in(client, merchant.email)
    lost_id = next(
        t["id"]
        for t in (await client.get("/api/v1/auth/tokens", headers=bearer(lost))).json()
        if t["current"]
    )

    revoked = await client.delete(f"/api/v1/auth/tokens/{lost_id}", headers=merchant.headers)
    refused = await client.get("/api/v1/me", headers=bearer(lost))
    again = await client.delete(f"/api/v1/auth/tokens/{lost_id}", headers=merchant.headers)

    assert revoked.status_code == 204
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]["message"]
    assert (await client.get("/api/v1/me", headers=merchant.headers)).status_code == 200
    assert again.status_code == 404


async def test_another_accounts_token_is_not_found_and_keeps_working(client, databases):
    owner = await factories.shopper(databases, "US")
    stranger = await factories.shopper(databases, "US")
    owners = (await client.get("/api/v1/auth/tokens", headers=owner.headers)).json()

    attempt = await client.delete(
        f"/api/v1/auth/tokens/{owners[0]['id']}", headers=stranger.headers
    )

    assert attempt.status_code == 404
    assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 200


async def test_signing_out_ends_the_token_it_was_made_with(client, databases):
    shopper = await factories.shopper(databases, "TH")
    other_device = await _signed_in(client, shopper.email, "TH")

    out = await client.delete("/api/v1/auth/token", headers=shopper.headers)

    assert out.status_code == 204
    assert (await client.get("/api/v1/me", headers=shopper.headers)).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(other_device))).status_code == 200


@pytest.mark.parametrize(
    ("email", "market"),
    [(demo_shopper_email("US"), "US"), (demo_shopper_email("ID"), "ID"), (DEMO_MERCHANT, None)],
)
async def test_demo_accounts_on_the_reserved_test_domain_get_a_token(
    client, databases, email, market
):
    if market:
        await factories.shopper(databases, market, email=email)
    else:
        await factories.merchant(databases, email=email)

    token = await _token(client, email, market)

    assert token.status_code == 200, token.text
    me = await client.get("/api/v1/me", headers=bearer(token.json()["token"]))
    assert me.json()["email"] == email


async def test_a_malformed_email_is_still_refused_with_a_reason(client, databases):
    refused = await _token(client, "not-an-address", "US")

    assert refused.status_code == 422
    assert "@-sign" in refused.json()["error"]["message"]


async def test_a_creator_gets_a_token_and_reads_their_earnings(client, databases):
    creator = await affiliate_factories.creator(databases)

    token = await _token(client, creator.email)  # global-cell accounts leave the market out

    assert token.status_code == 200, token.text
    headers = bearer(token.json()["token"])
    assert (await client.get("/api/v1/me", headers=headers)).json()["role"] == "creator"
    assert (await client.get("/api/v1/creator/earnings", headers=headers)).status_code == 200
