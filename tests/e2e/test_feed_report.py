"""Seller Center → Feed: a merchant reads where each video and live room stands in the For
You feed, and why, beside the market's median."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.seed import World
from tests.e2e.steps import sign_in_as_merchant

pytestmark = pytest.mark.e2e


def test_a_merchant_reads_why_a_video_stopped_in_the_starter_pool(page: Page, world: World) -> None:
    page.goto("/")
    sign_in_as_merchant(page, world.merchant_email)
    page.get_by_role("navigation", name="Seller Center").get_by_role("link", name="Feed").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Feed")
    items = page.get_by_role("list", name="Your items in the feed").get_by_role("listitem")
    stopped = items.filter(has=page.get_by_role("heading", name=re.compile(world.report_video)))
    expect(stopped).to_contain_text("Starter pool")
    expect(stopped).to_contain_text("Stopped")
    expect(stopped).to_contain_text("100 impressions")
    expect(stopped).to_contain_text("Stayed in the starter pool: click rate 2% vs 10% median")
    click_rate = stopped.get_by_role("row", name=re.compile(r"^Click rate"))
    expect(click_rate).to_have_text(re.compile(r"Click rate\s*2%\s*10%"))
    completion = stopped.get_by_role("row", name=re.compile(r"^Completion rate"))
    expect(completion).to_have_text(re.compile(r"Completion rate\s*30%\s*30%"))

    # the shop's newer video is still earning its starter audience; its rooms are listed too
    linen = items.filter(has=page.get_by_role("heading", name=re.compile(r"^Linen season Video")))
    expect(linen).to_contain_text(
        re.compile(r"In the starter pool: \d+ of 100 starter impressions")
    )
    expect(items.filter(has_text="Linen season, live")).to_contain_text("Live room")
