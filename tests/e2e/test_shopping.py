"""A shopper buys from the storefront: market, product, variant, cart, checkout, orders."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.seed import World
from tests.e2e.steps import (
    DECLINED_CARD,
    GOOD_CARD,
    US_ADDRESS,
    add_to_cart,
    cart_line,
    check_out,
    choose_market,
    choose_variant,
    go_to,
    open_product,
    open_shop,
    product_card,
    section,
    sign_in_as_shopper,
)


@pytest.mark.e2e
def test_shopper_in_indonesia_buys_a_shirt_and_sees_it_paid(page: Page, world: World) -> None:
    open_shop(page)
    expect(product_card(page, "Linen Overshirt")).to_contain_text("$49.00")

    choose_market(page, "Indonesia · IDR")  # from here on the shop speaks Indonesian
    expect(page.get_by_role("heading", level=1)).to_have_text("Populer di Indonesia")
    expect(product_card(page, "Linen Overshirt")).to_contain_text(re.compile(r"Rp\s?459\.000"))

    sign_in_as_shopper(page, world.indonesian_shopper)
    open_product(page, "Linen Overshirt")
    choose_variant(page, "M")
    add_to_cart(page)
    expect(cart_line(page, "Linen Overshirt")).to_contain_text("M ·")
    expect(page.get_by_role("row", name=re.compile(r"^Total Rp\s?459\.000$"))).to_be_visible()

    check_out(page, card=GOOD_CARD)
    expect(page.get_by_role("status")).to_have_text(
        "Terima kasih! Pesanan Anda sudah dibuat dan dibayar."
    )
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Pesanan ID-\d+$"))
    expect(page.get_by_text(re.compile(r"^Status:"))).to_have_text("Status: Dibayar")
    history = section(page, "Riwayat status").get_by_role("listitem")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Menunggu pembayaran")
    expect(history.nth(1)).to_contain_text("Dibayar: Paid by card •••• 4242")  # the note: English
    expect(section(page, "Dikirim ke")).to_contain_text("Jl. Melati No. 12")
    number = heading.inner_text().removeprefix("Pesanan ")

    go_to(page, "Pesanan")
    order_row = page.get_by_role("row").filter(has_text=number)
    expect(order_row).to_contain_text("Linen Overshirt")
    expect(order_row).to_contain_text(re.compile(r"Rp\s?459\.000"))
    expect(order_row.get_by_text("Dibayar", exact=True)).to_be_visible()


@pytest.mark.e2e
def test_declined_card_keeps_the_cart_and_the_stock(page: Page, world: World) -> None:
    open_shop(page)
    sign_in_as_shopper(page, world.american_shopper)
    open_product(page, "Ceramic Pour-over Mug")
    expect(page.get_by_text("Only 5 left")).to_be_visible()
    add_to_cart(page)

    check_out(page, card=DECLINED_CARD, address=US_ADDRESS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_role("alert")).to_have_text("Your card was declined. Try another card.")
    expect(page.get_by_label("Address", exact=True)).to_have_value("1 Main Street")

    go_to(page, "Cart")
    expect(cart_line(page, "Ceramic Pour-over Mug")).to_contain_text("$24.00")
    cart_line(page, "Ceramic Pour-over Mug").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ceramic Pour-over Mug")
    expect(page.get_by_text("Only 5 left")).to_be_visible()
