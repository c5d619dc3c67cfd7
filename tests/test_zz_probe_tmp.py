from tests import factories

async def test_probe(client, databases):
    shop = await factories.merchant(databases)
    n = databases.settings.max_body_bytes + 1
    async def gen():
        for _ in range(n // 65536 + 1):
            yield b"x" * 65536
    r = await client.post("/api/v1/seller/products", content=gen(), headers={**shop.headers, "content-type": "application/json"})
    print("chunked", r.status_code, r.text[:300])
    r = await client.post("/api/v1/seller/products", content=b"x"*n, headers={**shop.headers, "content-type": "application/json"})
    print("declared", r.status_code, r.text[:300])
    buyer = await factories.shopper(databases)
    r = await client.post("/api/v1/checkout", json={"address": factories.ADDRESS, "card_number": "4242424242424242"}, headers=buyer.headers)
    print(r.status_code, r.text)
    r = await client.post("/api/v1/cart/items", json={"sku": "X", "quantity": 10**9}, headers=buyer.headers)
    print(r.status_code, r.text)
    r = await client.post("/api/v1/cart/items", content=b"{not json", headers={**buyer.headers, "content-type": "application/json"})
    print(r.status_code, r.text)
    r = await client.post("/api/v1/seller/products", json={"title": "t", "category": "fashion", "variants": [{"sku": "A-1", "prices": [{"market": "US", "amount": "-1", "currency": "USD"}]}]}, headers=shop.headers)
    print(r.status_code, r.text)
