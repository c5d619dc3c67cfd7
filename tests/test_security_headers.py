"""Every answer carries the security headers: no framing (Seller Center can't be put under
another site's clickjacking overlay), no content sniffing, a referrer that leaves as an
origin only, and a Content-Security-Policy under which the site's pages run scripts from
/static only."""

import re

import pytest

from tests import factories
from tests.pages import BROWSER, sign_in_merchant

PAGES = ["/", "/signin", "/static/shoptide.css", "/api/v1/markets", "/no-such-page"]


def _directives(policy: str) -> dict[str, str]:
    return {
        name: value.strip()
        for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
    }


@pytest.mark.parametrize("path", PAGES)
async def test_every_answer_carries_the_security_headers(client, path):
    response = await client.get(path, headers=BROWSER)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == ("'none'")


async def test_seller_center_cannot_be_framed(client, databases):
    merchant = await factories.merchant(databases)
    await sign_in_merchant(client, merchant.email)

    page = await client.get("/seller", headers=BROWSER)

    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_the_sites_pages_run_scripts_from_the_site_only(client, databases):
    page = await client.get("/", headers=BROWSER)

    policy = _directives(page.headers["content-security-policy"])
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"


async def test_live_video_may_come_from_the_media_server(app, client):
    page = await client.get("/", headers=BROWSER)

    hls = re.match(r"https?://[^/]+", app.state.settings.live_hls_url)
    policy = _directives(page.headers["content-security-policy"])
    assert hls is not None
    assert hls.group(0) in policy["connect-src"] and hls.group(0) in policy["media-src"]
    assert "blob:" in policy["media-src"]  # hls.js plays through Media Source Extensions
    assert "blob:" in policy["worker-src"]  # and demuxes in a worker made from a blob


async def test_the_api_docs_keep_their_cdn_scripts(client):
    docs = await client.get("/docs")

    assert (
        "https://cdn.jsdelivr.net"
        in _directives(docs.headers["content-security-policy"])["script-src"]
    )
