"""Using the HTML pages without a browser: read the form's CSRF token, post like a browser."""

import re

import httpx

from tests import factories

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def csrf_token(client: httpx.AsyncClient, path: str = "/signin") -> str:
    page = await client.get(path)
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


async def sign_in_merchant(
    client: httpx.AsyncClient,
    email: str,
    password: str = factories.PASSWORD,
    *,
    lands_on: str = "/seller",
) -> str:
    """Sign in as a merchant (or an operator, landing on /admin) through the page; returns
    the session's CSRF token."""
    token = await csrf_token(client)
    response = await client.post(
        "/signin",
        data={"account": "business", "email": email, "password": password, "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == lands_on
    return token


async def sign_in_shopper(client: httpx.AsyncClient, account: factories.Account) -> str:
    """Sign in through the form, in the shopper's own market; returns the CSRF token."""
    token = await csrf_token(client)
    if account.market and account.market != "US":
        picked = await client.post("/market", data={"market": account.market, "csrf_token": token})
        assert picked.status_code == 303, picked.text
    response = await client.post(
        "/signin",
        data={
            "account": "shopper",
            "email": account.email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text
    return token
