"""The shopper's cart and checkout pages, used as a browser would (without one)."""

from tests import factories
from tests.pages import BROWSER, sign_in_shopper

ADDRESS_FORM = {
    "full_name": "Budi Santoso",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "postal_code": "10220",
    "phone": "+62 21 555",
}


async def _cart_with_one_item(client, databases, market="ID", price=150000):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={market: price}, stock={market: 3})
    buyer = await factories.shopper(databases, market)
    token = await sign_in_shopper(client, buyer)
    added = await client.post(
        "/cart/add", data={"sku": item.skus[0], "quantity": "2", "csrf_token": token}
    )
    assert added.status_code == 303
    return item, token


async def _pay(client, token, card):
    form = await client.get("/checkout")
    key = form.text.split('name="idempotency_key" value="')[1].split('"')[0]
    return await client.post(
        "/checkout",
        headers=BROWSER,
        data={**ADDRESS_FORM, "card_number": card, "idempotency_key": key, "csrf_token": token},
    )


async def test_paying_on_the_page_shows_the_order_and_remembers_the_address(client, databases):
    item, token = await _cart_with_one_item(client, databases)

    paid = await _pay(client, token, "4242 4242 4242 4242")
    order_page = await client.get(paid.headers["location"])
    cart = await client.get("/cart")
    await client.post("/cart/add", data={"sku": item.skus[0], "quantity": "1", "csrf_token": token})
    next_checkout = await client.get("/checkout")

    assert paid.status_code == 303
    assert 'id="order-status">Dibayar<' in order_page.text  # the Indonesian page: "Paid"
    assert "Rp300.000" in order_page.text
    assert "Jl. Sudirman 1" in order_page.text
    assert "Keranjang Anda kosong." in cart.text
    assert 'value="Jl. Sudirman 1"' in next_checkout.text  # the address book prefills it


async def test_a_declined_card_keeps_the_cart_and_says_why(client, databases):
    item, token = await _cart_with_one_item(client, databases)

    declined = await _pay(client, token, "4000 0000 0000 0002")
    cart = await client.get("/cart")
    product = await client.get(f"/p/{item.id}")

    assert declined.status_code == 402
    assert "Your card was declined" in declined.text
    assert 'value="Jl. Sudirman 1"' in declined.text  # what the shopper typed is kept
    assert "Rp300.000" in cart.text
    assert "Sisa 3" in product.text  # "Only 3 left", in Indonesian
