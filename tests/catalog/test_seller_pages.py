"""Seller Center → Products, driven the way a merchant's browser drives them: sign in
through the form, post the forms with the page's CSRF token, follow what the pages show."""

import io
import re

from PIL import Image

from tests import factories
from tests.pages import sign_in_merchant


def new_product_form(token: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "title": "Linen Shirt",
        "description": "Breathable and soft.",
        "category": "fashion",
        "v1_sku": "LINEN-WHITE-M",
        "v1_size": "M",
        "v1_colour": "White",
        "v1_price_US": "12.99",
        "v1_stock_US": "5",
        **fields,
    }


async def test_product_made_through_the_form_is_a_draft_then_sells_at_its_price(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")
    token = await sign_in_merchant(client, shop.email)

    form = await client.get("/seller/products/new")
    assert form.status_code == 200
    assert 'name="v1_price_ID"' in form.text  # a price input per market
    created = await client.post(
        "/seller/products", data=new_product_form(token, v1_price_ID="150000")
    )

    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    product_id = int(edit_url.rsplit("/", 1)[1])
    listing = await client.get("/seller/products")
    row = re.search(rf'<tr id="product-{product_id}">.*?</tr>', listing.text, re.S)
    assert row and "Linen Shirt" in row.group(0) and "Draft" in row.group(0)
    assert (await client.get(f"/p/{product_id}")).status_code == 404  # drafts stay hidden
    edit = await client.get(edit_url)
    assert 'value="150000"' in edit.text  # IDR typed in whole rupiah, shown back the same

    published = await client.post(
        f"/seller/products/{product_id}/status", data={"csrf_token": token, "status": "published"}
    )
    assert published.status_code == 303
    shelf = await client.get(f"/p/{product_id}")
    assert shelf.status_code == 200
    assert "Linen Shirt" in shelf.text and "$12.99" in shelf.text
    assert "Only 5 left" in shelf.text


async def test_a_form_mistake_keeps_what_the_merchant_typed(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")
    token = await sign_in_merchant(client, shop.email)

    response = await client.post(
        "/seller/products",
        data=new_product_form(token, title="Wool Scarf", v1_price_US="12,99"),
    )

    assert response.status_code == 422
    assert "Variant 1, price in United States" in response.text
    assert 'value="Wool Scarf"' in response.text and 'value="LINEN-WHITE-M"' in response.text
    assert "Wool Scarf" not in (await client.get("/seller/products")).text


async def test_new_price_and_stock_from_the_edit_page_reach_the_shelf(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1999}, stock={"US": 10})
    token = await sign_in_merchant(client, shop.email)

    saved = await client.post(
        f"/seller/products/{item.id}/variant",
        data={
            "csrf_token": token,
            "sku": item.skus[0],
            "price_US": "15.00",
            "price_was_US": "19.99",
            "stock_US": "3",
            "stock_was_US": "10",
        },
    )

    assert saved.status_code == 303, saved.text
    shelf = await client.get(f"/p/{item.id}")
    assert "$15.00" in shelf.text and "Only 3 left" in shelf.text


async def test_stock_without_a_price_is_refused_on_the_edit_page(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1999})
    token = await sign_in_merchant(client, shop.email)

    refused = await client.post(
        f"/seller/products/{item.id}/variant",
        data={"csrf_token": token, "sku": item.skus[0], "stock_GB": "4", "stock_was_GB": ""},
    )

    assert refused.status_code == 422
    assert "Set a price for" in refused.text and "GB" in refused.text


async def test_another_shops_product_is_not_found(client, databases):
    mine = await factories.merchant(databases)
    theirs = await factories.merchant(databases)
    secret = await factories.product(databases, theirs, title="Their Secret Jacket")
    token = await sign_in_merchant(client, mine.email)

    page = await client.get(f"/seller/products/{secret.id}")
    renamed = await client.post(
        f"/seller/products/{secret.id}",
        data={"csrf_token": token, "title": "Hijacked", "category": "fashion"},
    )

    assert page.status_code == 404
    assert "Their Secret Jacket" not in page.text
    assert renamed.status_code == 404
    assert "Their Secret Jacket" in (await client.get(f"/p/{secret.id}")).text
    assert "Their Secret Jacket" not in (await client.get("/seller/products")).text


async def test_a_post_without_the_csrf_token_is_refused(client, databases):
    shop = await factories.merchant(databases)
    await factories.category(databases, "fashion")
    await sign_in_merchant(client, shop.email)

    forged = await client.post("/seller/products", data=new_product_form("forged-token"))
    missing = await client.post(
        "/seller/products",
        data={k: v for k, v in new_product_form("").items() if k != "csrf_token"},
    )

    assert forged.status_code == 403 and missing.status_code == 403
    assert "Linen Shirt" not in (await client.get("/seller/products")).text


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_picture_upload_takes_real_images_only(client, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop)
    token = await sign_in_merchant(client, shop.email)

    fake = await client.post(
        f"/seller/products/{item.id}/images",
        data={"csrf_token": token},
        files={"image": ("shirt.png", b"<?php echo 'hi'; ?>", "image/png")},
    )
    real = await client.post(
        f"/seller/products/{item.id}/images",
        data={"csrf_token": token},
        files={"image": ("shirt.png", png_bytes(), "image/png")},
    )

    assert fake.status_code == 422 and "PNG, JPEG or WebP" in fake.text
    assert real.status_code == 303, real.text
    edit = await client.get(f"/seller/products/{item.id}")
    filename = re.search(r'src="/media/(products/[^"]+)"', edit.text).group(1)
    assert re.fullmatch(rf"products/{item.id}-[0-9a-f]{{32}}\.png", filename)
    assert (databases.settings.media_dir / filename).read_bytes() == png_bytes()
    assert (await client.get(f"/media/{filename}")).status_code == 200
