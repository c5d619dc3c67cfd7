"""Short videos: a shopper watches one and sees what it sells; a merchant uploads one and
follows its processing until it plays."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.seed import World, make_clip
from tests.e2e.steps import sign_in_as_merchant

PLAYING_TIMEOUT_MS = 15_000


def expect_playing(page: Page) -> None:
    """The video's clock moves past one second: it plays, whichever HLS the browser uses."""
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 1; }",
        timeout=PLAYING_TIMEOUT_MS,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("player", ["native HLS", "hls.js"])
def test_a_shopper_watches_a_video_and_sees_what_it_sells(
    page: Page, world: World, player: str
) -> None:
    if player == "hls.js":  # as in browsers without HLS of their own (Firefox, older Chrome)
        page.add_init_script("HTMLMediaElement.prototype.canPlayType = () => '';")
    page.goto(world.video_path)

    expect(page.get_by_role("heading", level=1)).to_have_text("Linen season")
    video = page.locator("video")
    expect(video).to_have_attribute("poster", re.compile(r"^/media/videos/\w+/poster\.jpg$"))
    expect_playing(page)
    source = video.evaluate("v => v.currentSrc")
    assert source.startswith("blob:") if player == "hls.js" else source.endswith("/master.m3u8")
    products = page.get_by_role("list", name="Products in this video")
    shirt = products.get_by_role("listitem").filter(has_text="Linen Overshirt")
    expect(shirt).to_contain_text("$49.00")
    expect(shirt.get_by_role("button", name="Add Linen Overshirt to cart")).to_be_visible()
    expect(
        products.get_by_role("listitem").filter(has_text="Ceramic Pour-over Mug")
    ).to_contain_text("$24.00")


@pytest.mark.e2e
def test_a_merchant_uploads_a_video_and_watches_it_become_playable(
    page: Page, world: World, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "beach.mp4", size="640x360", seconds=3)  # landscape this time
    page.goto("/")
    sign_in_as_merchant(page, world.merchant_email)
    page.goto("/seller/videos")
    page.get_by_role("link", name="Upload a video").click()

    page.get_by_label("Video (MP4 or MOV").set_input_files(clip)
    page.get_by_label("Shown to shoppers in").select_option(label="United States (US)")
    page.get_by_label("Caption").fill("Beach day in the Wrap Dress")
    page.get_by_label("Breezy Wrap Dress").check()
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("status")).to_contain_text("Video uploaded.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beach day in the Wrap Dress")
    expect(page.locator("video")).to_be_visible(timeout=30_000)  # processing ends in the player
    expect(page.get_by_text("Published.")).to_be_visible()
    page.get_by_role("link", name="View as a shopper").click()
    expect(page.get_by_role("list", name="Products in this video")).to_contain_text(
        "Breezy Wrap Dress"
    )
    expect_playing(page)
