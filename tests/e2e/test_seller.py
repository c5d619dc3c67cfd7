"""A merchant lists a product in Seller Center and shoppers can buy it."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.seed import World
from tests.e2e.steps import choose_variant, go_to, open_shop, sign_in_as_merchant


@pytest.mark.e2e
def test_merchant_creates_and_publishes_a_product(page: Page, world: World) -> None:
    open_shop(page)
    sign_in_as_merchant(page, world.merchant_email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller Center")
    seller_center = page.get_by_role("navigation", name="Seller Center")
    expect(seller_center).to_contain_text(world.shop_name)

    seller_center.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="Add a product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New product")
    page.get_by_label("Title").fill("Harbour Rain Jacket")
    page.get_by_label("Description").fill("Packs into its own pocket. Seams taped.")
    page.get_by_label("Category").select_option(label="Women's Fashion")
    first = page.get_by_role("group", name="Variant 1")
    first.get_by_label("SKU", exact=True).fill("HRJ-NAVY-M")
    first.get_by_label("Size").fill("M")
    first.get_by_label("Colour").fill("Navy")
    first.get_by_label("Variant 1 price in United States").fill("89.50")
    first.get_by_label("Variant 1 stock in United States").fill("7")
    page.get_by_role("button", name="Save as draft").click()

    expect(page.get_by_role("status")).to_contain_text("“Harbour Rain Jacket” is saved as a draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Rain Jacket")
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published", exact=True)).to_be_visible()

    page.get_by_role("link", name="View in shop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Rain Jacket")
    expect(page.get_by_role("radio", name="Navy / M")).to_be_enabled()
    choose_variant(page, "Navy / M")
    expect(page.get_by_role("group", name="Choose an option")).to_contain_text("$89.50")
    expect(page.get_by_text("Only 7 left")).to_be_visible()
    expect(page.get_by_text("Packs into its own pocket.")).to_be_visible()

    go_to(page, "Seller Center")
    page.get_by_role("link", name="Your products").click()
    row = page.get_by_role("row").filter(has_text="Harbour Rain Jacket")
    expect(row).to_contain_text("Published")
