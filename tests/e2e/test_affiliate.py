"""The affiliate program end to end: a merchant offers commission, a creator puts the
product on their showcase, a shopper buys through it, and the creator's commission goes
from pending to settled once the return window has passed."""

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import STEP_TIMEOUT_MS, Server
from tests.e2e.seed import World
from tests.e2e.steps import (
    GOOD_CARD,
    US_ADDRESS,
    add_to_cart,
    cart_line,
    check_out,
    go_to,
    open_shop,
    sign_in_as_merchant,
    sign_in_as_shopper,
)

HAT = "Woven Sun Hat"  # $39.90; 10% commission is $3.99


@pytest.fixture
def new_person(server: Server, browser: Browser) -> Iterator[Callable[[], Page]]:
    """Each person in a browser of their own (cookies of their own)."""
    server.ready()
    contexts = []

    def open_browser() -> Page:
        context = browser.new_context(base_url=server.base_url, locale="en-US")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_browser
    finally:
        for context in contexts:
            context.close()


def sign_in_as_creator(page: Page, email: str, password: str) -> None:
    open_shop(page)
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("a creator").check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Creator Center")


def earnings_line(page: Page, status: str) -> Locator:
    """The hat's line on the creator's earnings page, once it shows `status`: commissions
    move in event handlers a moment after the sale or the delivery, so reload until then."""
    for _ in range(40):
        page.goto("/creator/earnings")
        line = page.get_by_role("row").filter(has_text=HAT)
        if line.count() and status in line.inner_text():
            break
        page.wait_for_timeout(250)
    expect(line).to_contain_text(status)
    return line


def settle_as_of(shop_env: dict[str, str], moment: datetime) -> str:
    """The settlement job, run on a day after the return window closed (the clock moved)."""
    shoptide = Path(sys.executable).parent / "shoptide"
    done = subprocess.run(
        [shoptide, "affiliate", "settle", "--as-of", moment.isoformat()],
        env=shop_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.e2e
def test_a_creator_earns_on_a_showcase_sale_and_it_settles_after_the_return_window(
    page: Page, new_person: Callable[[], Page], world: World, shop_env: dict[str, str]
) -> None:
    # the merchant offers 10% on the hat
    open_shop(page)
    sign_in_as_merchant(page, world.merchant_email)
    seller_center = page.get_by_role("navigation", name="Seller Center")
    seller_center.get_by_role("link", name="Affiliate").click()
    rates = page.locator("#product-rates")
    rates.get_by_label("Product").select_option(label=HAT)
    rates.get_by_label("Commission (%)").fill("10")
    rates.get_by_role("button", name="Set the product's rate").click()
    expect(page.get_by_role("row").filter(has_text=HAT)).to_contain_text("10%")

    # the creator finds it in the marketplace and adds it to their showcase
    creator = new_person()
    sign_in_as_creator(creator, world.creator_email, world.password)
    creator.get_by_role("link", name="Marketplace").first.click()
    offer = creator.get_by_role("row").filter(has_text=HAT)
    expect(offer).to_contain_text("10%")
    expect(offer).to_contain_text("$3.99")  # estimated earnings per sale
    offer.get_by_role("button", name="Add to showcase").click()
    creator.goto(f"/@{world.creator_handle}")
    expect(creator.get_by_role("heading", level=1)).to_have_text("Maya Makes")
    expect(creator.get_by_text(HAT)).to_be_visible()

    # a shopper opens the showcase, buys the hat and sees who recommended it
    shopper = new_person()
    open_shop(shopper)
    sign_in_as_shopper(shopper, world.affiliate_shopper)
    shopper.goto(f"/@{world.creator_handle}")
    shopper.get_by_role("link", name=re.compile(HAT)).first.click()
    expect(shopper.get_by_role("heading", level=1)).to_have_text(HAT)
    add_to_cart(shopper)
    go_to(shopper, "Cart")
    expect(cart_line(shopper, HAT)).to_contain_text(f"Recommended by @{world.creator_handle}")
    check_out(shopper, card=GOOD_CARD, address=US_ADDRESS)
    expect(shopper.get_by_role("status")).to_contain_text("paid")

    # the creator sees a pending commission of 10% of $39.90, to settle once delivered
    pending = earnings_line(creator, "Pending")
    expect(pending).to_contain_text("$3.99")
    expect(pending).to_contain_text("once delivered")

    # the merchant ships and delivers the order
    page.goto("/seller/orders")
    page.get_by_role("row").filter(has_text=HAT).get_by_role("link").first.click()
    page.get_by_role("button", name="Confirm order").click()
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.locator("#order-status")).to_have_text("Delivered")

    # the return window runs from the delivery; sixteen days later it has closed
    earnings_line(creator, "after ")
    settle_as_of(shop_env, datetime.now(UTC) + timedelta(days=16))
    expect(earnings_line(creator, "Settled")).to_contain_text("$3.99")
