from tests import factories
from tests.queries import count_request_queries


async def test_the_shelf_shows_each_markets_price_and_hides_unlisted_products(client, databases):
    shop = await factories.merchant(databases)
    both = await factories.product(
        databases, shop, prices={"US": 1999, "ID": 150000}, title="Linen shirt"
    )
    await factories.product(databases, shop, prices={"US": 999}, title="US-only cap")

    indonesia = (await client.get("/api/v1/products", params={"market": "ID"})).json()
    america = (await client.get("/api/v1/products", headers={"X-Market": "US"})).json()

    assert [(p["id"], p["price_from"]["display"]) for p in indonesia["items"]] == [
        (both.id, "Rp150.000")
    ]
    assert sorted(p["title"] for p in america["items"]) == ["Linen shirt", "US-only cap"]


async def test_best_sellers_rise_to_the_top_once_their_sales_are_counted(client, app, databases):
    shop = await factories.merchant(databases)
    first = await factories.product(databases, shop, title="Quiet seller")
    second = await factories.product(databases, shop, title="Best seller", stock={"US": 9})
    buyer = await factories.shopper(databases)

    assert (await factories.buy(client, buyer, second.skus[0], quantity=3)).status_code == 201
    before = (await client.get("/api/v1/products")).json()["items"]
    await app.state.dispatcher.run_once()
    after = (await client.get("/api/v1/products")).json()["items"]

    assert [p["id"] for p in before] == [first.id, second.id]  # equal sales: oldest first
    assert [p["id"] for p in after] == [second.id, first.id]


async def test_a_shelf_page_runs_the_same_queries_for_3_or_30_products(app, client, databases):
    shop = await factories.merchant(databases)
    for _ in range(3):
        await factories.product(databases, shop, variants=2)
    with count_request_queries(app, databases) as few:
        assert (await client.get("/search")).status_code == 200
    for _ in range(27):
        await factories.product(databases, shop, variants=2)
    with count_request_queries(app, databases) as many:
        page = await client.get("/search")

    assert page.text.count('class="card"') == 24  # a full first page
    assert len(many) == len(few)
