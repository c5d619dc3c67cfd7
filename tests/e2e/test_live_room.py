"""A live room in two browsers: viewers chat, and the host pins a product they all see."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import STEP_TIMEOUT_MS, Server
from tests.e2e.seed import World
from tests.e2e.steps import go_to, open_shop, sign_in_as_merchant, sign_in_as_shopper


@pytest.fixture
def second_visitor(server: Server, browser: Browser) -> Iterator[Page]:
    """Another person in another browser (cookies of their own)."""
    server.ready()
    context = browser.new_context(base_url=server.base_url, locale="en-US")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_the_live_room(page: Page, title: str) -> None:
    go_to(page, "Live")
    page.get_by_role("list", name="Live now").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text(re.compile(r"^\d+ watching$"))).to_be_visible()  # connected


def comments(page: Page):
    return page.get_by_role("list", name="Comments")


@pytest.mark.e2e
def test_viewers_chat_and_see_what_the_host_pins(
    page: Page, second_visitor: Page, world: World
) -> None:
    title = "Linen season, live"
    open_shop(second_visitor)
    open_the_live_room(second_visitor, title)  # signed out: watches, can't write
    expect(second_visitor).to_have_url(re.compile(f"/live/{world.live_room}$"))
    expect(second_visitor.get_by_text("Sign in to comment.")).to_be_visible()

    open_shop(page)
    sign_in_as_shopper(page, world.american_shopper)
    open_the_live_room(page, title)
    page.get_by_label("Your comment").fill("Is the overshirt real linen?")
    page.get_by_role("button", name="Send").click()
    expect(comments(page)).to_contain_text("Is the overshirt real linen?")
    expect(comments(second_visitor)).to_contain_text("dana Is the overshirt real linen?")

    # the host, in a third session, pins the overshirt from the console
    page.get_by_role("button", name="Sign out").click()
    sign_in_as_merchant(page, world.merchant_email)
    page.get_by_role("navigation", name="Seller Center").get_by_role("link", name="Live").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Pin Linen Overshirt").click()
    expect(page.get_by_role("button", name="Unpin Linen Overshirt")).to_be_visible()

    pinned = second_visitor.get_by_role("region", name="Pinned product")
    expect(pinned).to_contain_text("Linen Overshirt")
    expect(pinned).to_contain_text("$49.00")
