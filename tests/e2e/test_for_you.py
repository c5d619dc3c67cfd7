"""For You: a shopper moves through the feed one item at a time, the feed hears what they
saw, they like a video and put a product in the cart without leaving the feed."""

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from shoptide.accounts import service as accounts_service
from shoptide.content.models import Video
from shoptide.db import Databases
from shoptide.feed.models import FeedEvent
from shoptide.settings import Settings
from tests.e2e.seed import World
from tests.e2e.steps import cart_line, go_to, sign_in_as_shopper

pytestmark = pytest.mark.e2e

REPORT_WAIT_S = 15  # the page sends its events every few seconds


@pytest.fixture
def settings(shop_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in shop_env.items():
        if name.startswith("SHOPTIDE_"):
            monkeypatch.setenv(name, value)
    return Settings()


def _in_thread(work: Callable[[Databases], object], settings: Settings) -> object:
    """Read the shop's databases on an event loop of its own (Playwright runs one here)."""

    async def run() -> object:
        databases = Databases(settings)
        try:
            return await work(databases)  # type: ignore[misc]
        finally:
            await databases.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=30)


def _impressions(settings: Settings, email: str) -> set[str]:
    async def read(databases: Databases) -> set[str]:
        async with databases.session(settings.cell_of_market("US"), write=False) as cell:
            user = await accounts_service.find_by_email(cell, email)
            assert user is not None
            return set(
                await cell.scalars(
                    select(FeedEvent.item_key).where(
                        FeedEvent.viewer == f"user:{user.id}", FeedEvent.action == "impression"
                    )
                )
            )

    return _in_thread(read, settings)  # type: ignore[return-value]


def _likes(settings: Settings, video_id: int) -> int:
    async def read(databases: Databases) -> int:
        async with databases.session(settings.cell_of_market("US"), write=False) as cell:
            video = await cell.get(Video, video_id)
            assert video is not None
            return video.like_count

    return _in_thread(read, settings)  # type: ignore[return-value]


def _eventually(check: Callable[[], bool], within_s: float = REPORT_WAIT_S) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{check.__name__} did not come true in {within_s} s")
        time.sleep(0.25)


def _current(feed: Locator) -> Locator:
    return feed.locator("article[data-current]")


def _find(page: Page, feed: Locator, wanted: Locator, presses: int = 30) -> Locator:
    """Move down the feed (the next pages load on the way) until a card like `wanted` is
    there; returns the first (a locator that follows the filter, not the card)."""
    for _ in range(presses):
        if wanted.count():
            return wanted.first
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(300)
    raise AssertionError("no such card in the feed")


def test_a_shopper_moves_through_for_you_likes_a_video_and_buys(
    page: Page, world: World, settings: Settings
) -> None:
    page.goto("/")
    sign_in_as_shopper(page, world.feed_shopper)
    go_to(page, "For You")

    feed = page.get_by_role("feed", name="For You")
    cards = feed.locator("article.feed-item")
    expect(cards.first).to_be_in_viewport(ratio=0.9)
    expect(_current(feed)).to_have_attribute(
        "data-item-key", cards.first.get_attribute("data-item-key")
    )
    first = cards.nth(0).get_attribute("data-item-key")
    second = cards.nth(1).get_attribute("data-item-key")

    page.keyboard.press("ArrowDown")
    expect(cards.nth(1)).to_be_in_viewport(ratio=0.9)
    expect(cards.nth(0)).not_to_be_in_viewport()
    expect(_current(feed)).to_have_attribute("data-item-key", second)
    page.keyboard.press("k")
    expect(cards.nth(0)).to_be_in_viewport(ratio=0.9)

    def both_impressions_logged() -> bool:
        return {first, second} <= _impressions(settings, world.feed_shopper)

    _eventually(both_impressions_logged)

    video = feed.locator('article[data-kind="video"]').first
    video_id = int(video.get_attribute("data-item-key").split(":")[1])
    likes_before = _likes(settings, video_id)
    video.get_by_role("button", name=re.compile(r"^Like\b")).click()
    liked = video.get_by_role("button", name=re.compile(r"^Liked\b"))
    expect(liked).to_have_attribute("aria-pressed", "true")
    expect(liked).to_contain_text(str(likes_before + 1))
    assert _likes(settings, video_id) == likes_before + 1

    add = page.get_by_role("button", name=re.compile(r"^Add .+ to cart$"))
    found = _find(page, feed, feed.locator('article[data-kind="product"]').filter(has=add))
    product = feed.locator(f'article[data-item-key="{found.get_attribute("data-item-key")}"]').first
    title = product.get_by_role("heading", level=2).inner_text()
    product.get_by_role("button", name=f"Add {title} to cart").click()
    expect(product.get_by_role("status")).to_have_text(re.compile(r"^Added to your cart\."))
    product.get_by_role("link", name="View cart").click()
    expect(cart_line(page, title)).to_be_visible()


def test_a_visitor_is_asked_to_sign_in_to_like_and_comes_back(page: Page, world: World) -> None:
    page.goto("/for-you")

    feed = page.get_by_role("feed", name="For You")
    first = feed.locator("article.feed-item").first
    expect(first).to_be_in_viewport(ratio=0.9)
    expect(feed.get_by_role("button", name=re.compile(r"^Like\b"))).to_have_count(0)
    first.get_by_role("link", name="Sign in to like, follow and buy").click()
    page.get_by_label("Email").fill(world.feed_shopper)
    page.get_by_label("Password").fill(world.password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/for-you$"))
    expect(page.get_by_role("feed", name="For You")).to_be_visible()
