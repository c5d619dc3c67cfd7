"""Selling in a live room, host and viewer each in their own browser: a flash deal bought
from the room's drawer, and a bargain the host accepts."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import STEP_TIMEOUT_MS, Server
from tests.e2e.seed import World
from tests.e2e.steps import US_ADDRESS, open_shop, sign_in_as_merchant, sign_in_as_shopper

CARD = "4242 4242 4242 4242"


@pytest.fixture
def host(server: Server, browser: Browser, world: World) -> Iterator[Page]:
    """The shop's merchant at the room's console, in a browser of their own."""
    server.ready()
    context = browser.new_context(base_url=server.base_url, locale="en-US")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    console = context.new_page()
    try:
        open_shop(console)
        sign_in_as_merchant(console, world.merchant_email)
        console.goto(f"/seller/live/{world.selling_room}")
        expect(console.get_by_role("heading", level=1)).to_have_text("Glow hour, live")
        yield console
    finally:
        context.close()


def watch(page: Page, world: World) -> None:
    open_shop(page)
    sign_in_as_shopper(page, world.american_shopper)
    page.goto(f"/live/{world.selling_room}")
    expect(page.get_by_text(re.compile(r"^\d+ watching$"))).to_be_visible()  # connected


def pin(host: Page, title: str) -> None:
    host.get_by_role("button", name=f"Pin {title}").click()
    expect(host.get_by_role("button", name=f"Unpin {title}")).to_be_visible()


def pay_in_the_drawer(page: Page) -> Locator:
    drawer = page.get_by_role("dialog", name="Checkout")
    for label, value in US_ADDRESS.items():
        drawer.get_by_label(label, exact=True).fill(value)
    drawer.get_by_label("Card number").fill(CARD)
    drawer.get_by_role("button", name="Pay now").click()
    return drawer


@pytest.mark.e2e
def test_the_host_starts_a_flash_deal_and_a_viewer_buys_it_from_the_drawer(
    page: Page, host: Page, world: World
) -> None:
    serum = world.products["serum"]
    pin(host, "Vitamin C Serum")
    deals = host.get_by_role("region", name="Flash deals")
    deals.get_by_label("Product").select_option(serum.skus[0])
    deals.get_by_label("Deal price (USD)").fill("9.50")
    deals.get_by_label("Units").fill("5")
    deals.get_by_role("button", name="Start flash deal").click()
    expect(deals).to_contain_text("5 of 5 left")

    watch(page, world)
    deal = page.locator("#deals article").filter(has_text="Vitamin C Serum")
    expect(deal).to_contain_text("$9.50")
    deal.get_by_role("button", name="Buy now").click()
    drawer = pay_in_the_drawer(page)

    expect(drawer).to_contain_text("Thank you! Your order is placed and paid.")
    expect(drawer).to_contain_text("$9.50")
    expect(page.locator("#ticker")).to_contain_text("dana bought Vitamin C Serum")
    expect(deal).to_contain_text("4 of 5 left")
    expect(deals).to_contain_text("4 of 5 left")  # the host's console follows the sales


@pytest.mark.e2e
def test_a_viewer_bargains_for_the_pinned_product_and_the_host_accepts(
    page: Page, host: Page, world: World
) -> None:
    pin(host, "Breezy Wrap Dress")
    watch(page, world)
    offer = page.get_by_role("region", name="Make an offer")
    expect(offer).to_contain_text("Your price")
    offer.get_by_label("Your price").fill("50.00")
    offer.get_by_role("button", name="Make an offer").click()
    expect(offer).to_contain_text("is waiting for the host")

    inbox = host.get_by_role("region", name="Offers")
    waiting = inbox.get_by_role("article").filter(has_text="dana offers $50.00")
    waiting.get_by_role("button", name="Accept").click()
    expect(inbox).to_contain_text("No offers waiting.")

    expect(offer).to_contain_text("Deal! Breezy Wrap Dress")
    offer.get_by_role("button", name="Buy at my price").click()
    drawer = pay_in_the_drawer(page)
    expect(drawer).to_contain_text("Thank you! Your order is placed and paid.")
    expect(drawer).to_contain_text("$50.00")
