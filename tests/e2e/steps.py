"""What a person does in the shop, one step per function, found the way a person finds it:
by role, label and text on the screen, in the language the page speaks."""

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
ADDRESS = {  # an Indonesian shopper fills the Indonesian form
    "Nama lengkap": "Sari Wulandari",
    "Alamat": "Jl. Melati No. 12",
    "Kota": "Bandung",
    "Kode pos": "40115",
    "Telepon": "+62 812 555 0100",
}

US_ADDRESS = {
    "Full name": "Dana Miller",
    "Address": "1 Main Street",
    "City": "Springfield",
    "Postal code": "62701",
    "Phone": "+1 555 0100",
}


@dataclass(frozen=True)
class Words:
    """What the shop's buttons and labels say in one language, as a person reads them."""

    products: str
    sign_in: str
    email: str
    password: str
    sign_out: str
    add_to_cart: str
    added_to_cart: str
    check_out: str
    checkout: str
    card_number: str
    pay: str


# Each word in English and in Indonesian, side by side.
TRANSLATIONS = {
    "products": ("Products", "Produk"),
    "sign_in": ("Sign in", "Masuk"),
    "email": ("Email", "Email"),
    "password": ("Password", "Kata sandi"),
    "sign_out": ("Sign out", "Keluar"),
    "add_to_cart": ("Add to cart", "Masukkan ke keranjang"),
    "added_to_cart": ("Added to your cart.", "Berhasil ditambahkan ke keranjang."),
    "check_out": ("Check out", "Lanjut ke pembayaran"),
    "checkout": ("Checkout", "Pembayaran"),
    "card_number": ("Card number", "Nomor kartu"),
    "pay": ("Pay", "Bayar"),
}
ENGLISH = Words(**{field: english for field, (english, _) in TRANSLATIONS.items()})
INDONESIAN = Words(**{field: indonesian for field, (_, indonesian) in TRANSLATIONS.items()})
LANGUAGES = {"en": ENGLISH, "id": INDONESIAN}


def words(page: Page) -> Words:
    """The words of the language the page is in (its <html lang>)."""
    return LANGUAGES[page.locator("html").get_attribute("lang") or "en"]


# --- getting around -------------------------------------------------------------------------


def open_shop(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Popular in")


def choose_market(page: Page, option: str) -> None:
    """Pick a market in the top bar ("Indonesia · IDR"); the page reloads in its currency."""
    with page.expect_navigation():
        page.get_by_label("Market").select_option(label=option)


def product_card(page: Page, title: str) -> Locator:
    products = page.get_by_role("list", name=words(page).products)
    return products.get_by_role("listitem").filter(has_text=title)


def open_product(page: Page, title: str) -> None:
    product_card(page, title).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def go_to(page: Page, link: str) -> None:
    """Follow a link of the top bar (Cart, Orders, Seller Center; Keranjang, Pesanan)."""
    page.get_by_role("banner").get_by_role("link", name=link, exact=True).click()


# --- accounts -------------------------------------------------------------------------------


def _sign_in(page: Page, email: str, password: str, *, business: bool) -> None:
    say = words(page)
    page.get_by_role("link", name=say.sign_in, exact=True).click()
    if business:
        page.get_by_label("a merchant or operator").check()
    page.get_by_label(say.email).fill(email)
    page.get_by_label(say.password).fill(password)
    page.get_by_role("button", name=say.sign_in).click()
    expect(page.get_by_role("button", name=say.sign_out)).to_be_visible()


def sign_in_as_shopper(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in to the market picked in the top bar (the account must shop there)."""
    _sign_in(page, email, password, business=False)


def sign_in_as_merchant(page: Page, email: str, password: str = PASSWORD) -> None:
    _sign_in(page, email, password, business=True)


# --- buying ---------------------------------------------------------------------------------


def choose_variant(page: Page, label: str) -> None:
    # the option's name is "<label> <price> <stock>"; match its start (a JS-safe pattern)
    start = re.escape(label).replace("\\ ", " ").replace("/", "\\/")
    option = page.get_by_role("radio", name=re.compile(rf"^{start}\s"))
    option.check()
    expect(option).to_be_checked()


def add_to_cart(page: Page) -> None:
    say = words(page)
    page.get_by_role("button", name=say.add_to_cart).click()
    expect(page.get_by_role("status")).to_have_text(say.added_to_cart)


def cart_line(page: Page, title: str) -> Locator:
    return page.get_by_role("table").get_by_role("row").filter(has_text=title)


def check_out(page: Page, *, card: str, address: dict[str, str] = ADDRESS) -> None:
    """From the cart: fill the shipping address and the card, then pay."""
    say = words(page)
    page.get_by_role("link", name=say.check_out).click()
    expect(page.get_by_role("heading", name=say.checkout)).to_be_visible()
    for label, value in address.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label(say.card_number).fill(card)
    page.get_by_role("button", name=re.compile(rf"^{say.pay} ")).click()


def section(page: Page, heading: str) -> Locator:
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading))
