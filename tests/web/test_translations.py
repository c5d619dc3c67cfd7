"""Shopper pages speak the market's language; Seller Center stays in English."""

from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from shoptide.i18n import TRANSLATIONS_DIR
from tests import factories
from tests.pages import BROWSER, csrf_token, sign_in_merchant

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))


async def pick_market(client: httpx.AsyncClient, code: str) -> str:
    """Choose a market in the top bar, as an anonymous visitor; returns the CSRF token."""
    token = await csrf_token(client, "/")
    picked = await client.post("/market", data={"market": code, "csrf_token": token})
    assert picked.status_code == 303, picked.text
    return token


async def test_a_visitor_who_picks_germany_reads_german_and_pays_in_euros(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"DE": 1999}, stock={"DE": 4})

    await pick_market(client, "DE")
    home = await client.get("/")
    product = await client.get(f"/p/{item.id}")

    assert '<html lang="de">' in home.text
    assert "<h1>Beliebt in Deutschland</h1>" in home.text
    assert "19,99\xa0€" in home.text  # Babel's German format: decimal comma, € after
    assert "Popular in" not in home.text and ">Sign in<" not in home.text
    assert ">Anmelden</a>" in home.text
    assert '<button type="submit" class="primary">In den Warenkorb</button>' in product.text
    assert "Nur noch 4 verfügbar" in product.text
    assert "Preise inkl. 19 % MwSt." in product.text
    assert "19,99\xa0€" in product.text


async def test_a_visitor_in_indonesia_reads_indonesian(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"ID": 459000}, stock={"ID": 20})

    await pick_market(client, "ID")
    home = await client.get("/")
    product = await client.get(f"/p/{item.id}")
    shelf = await client.get("/search?sort=price_asc")

    assert '<html lang="id">' in home.text
    assert "<h1>Populer di Indonesia</h1>" in home.text
    assert "Rp459.000" in home.text
    assert ">Masukkan ke keranjang</button>" in product.text
    assert "Stok tersedia" in product.text
    assert "<h1>Semua produk</h1>" in shelf.text
    assert '<option value="price_asc" selected>Harga: terendah</option>' in shelf.text


async def test_a_visitor_in_the_united_states_reads_english(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1999})

    await pick_market(client, "US")
    home = await client.get("/")
    product = await client.get(f"/p/{item.id}")

    assert '<html lang="en">' in home.text
    assert "<h1>Popular in United States</h1>" in home.text
    assert "$19.99" in home.text
    assert '<button type="submit" class="primary">Add to cart</button>' in product.text


async def test_the_error_page_speaks_the_visitors_language(client, databases):
    await pick_market(client, "DE")
    await client.get("/")  # the page that brought the visitor here

    missing = await client.get("/p/999999", headers=BROWSER)

    assert missing.status_code == 404
    assert "<h1>Nicht gefunden</h1>" in missing.text
    assert ">Zurück zum Shop</a>" in missing.text


async def test_seller_center_stays_in_english_whatever_the_market(client, databases):
    shop = await factories.merchant(databases)
    await pick_market(client, "DE")
    await sign_in_merchant(client, shop.email)

    dashboard = await client.get("/seller")

    assert dashboard.status_code == 200
    assert '<html lang="en">' in dashboard.text
    assert ">Sign out</button>" in dashboard.text and "Abmelden" not in dashboard.text


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(po):
    with po.open("rb") as fp:
        catalog = read_po(fp)

    untranslated = [
        m.id for m in catalog if m.id and not all(m.string if m.pluralizable else [m.string])
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    problems = [(m.id, errors) for m, errors in catalog.check()]

    assert not catalog.fuzzy, "the header is marked fuzzy: pybabel compile would skip it"
    assert untranslated == []
    assert fuzzy == []
    assert problems == []  # placeholders match the English message


def test_catalogs_hold_every_message_the_pages_mark():
    """Run `make messages` after marking a new string: the catalogs must know it."""
    with (ROOT / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    marked = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)
    }
    assert len(marked) > 50
    for po in CATALOGS:
        with po.open("rb") as fp:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fp) if m.id}
        assert marked - known == set(), po
