"""A creator's earnings (page and API, from the books) and payout requests; a shop's
creators and its statement. Nobody sees another's figures."""

from sqlalchemy import func, select

from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts import flows as payouts
from shoptide.affiliate.payouts.models import Payout
from shoptide.ledger import service as ledger
from tests import factories
from tests.affiliate import support
from tests.affiliate.earnings_support import (
    commission,
    creator_headers,
    due,
    sign_in_creator,
    statuses,
)
from tests.pages import BROWSER, sign_in_merchant


async def earnings_of_every_kind(databases, creator_id: int, shop_id: int) -> dict[str, int]:
    """Lines pending, settled, partly reversed then settled, fully reversed and paid out;
    returns their ids by name."""
    paid_out = await commission(
        databases, creator_id=creator_id, shop_id=shop_id, base_minor=20_000, settle_after=due()
    )
    await payouts.settle_due(databases)
    await payouts.run_payouts(databases, run_key="daily-2026-12-01")
    lines = {
        "settled": await commission(
            databases, creator_id=creator_id, shop_id=shop_id, settle_after=due()
        ),
        "partly": await commission(
            databases,
            creator_id=creator_id,
            shop_id=shop_id,
            settle_after=due(),
            refunded_minor=5_000,
            reversed_minor=500,
        ),
        "reversed": await commission(
            databases,
            creator_id=creator_id,
            shop_id=shop_id,
            base_minor=3_000,
            status="reversed",
            refunded_minor=3_000,
            reversed_minor=300,
        ),
    }
    await payouts.settle_due(databases)
    lines["pending"] = await commission(
        databases, creator_id=creator_id, shop_id=shop_id, base_minor=7_000
    )
    lines["paid_out"] = paid_out
    return {name: line.id for name, line in lines.items()}


async def test_earnings_totals_come_from_the_books_and_agree_with_the_lines(client, databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    ids = await earnings_of_every_kind(databases, maya.id, shop.shop_id)

    response = await client.get(
        "/api/v1/creator/earnings", headers=await creator_headers(databases, maya)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    (usd,) = body["totals"]
    assert {k: usd[k]["display"] for k in ("pending", "settled", "reversed", "paid_out")} == {
        "pending": "$7.00",
        "settled": "$15.00",  # $10.00 + ($10.00 - $5.00 refunded share)
        "reversed": "$8.00",  # $5.00 + $3.00
        "paid_out": "$20.00",
    }
    by_id = {line["commission_id"]: line for line in body["lines"]}
    assert {by_id[i]["status"] for i in ids.values()} == {
        "pending",
        "settled",
        "reversed",
        "paid_out",
    }
    partly = by_id[ids["partly"]]
    assert (partly["commission"]["display"], partly["reversed"]["display"]) == ("$10.00", "$5.00")
    assert partly["net"]["display"] == "$5.00"

    # the books say what the rows say
    async with databases.session("main", write=False) as session:
        books = await ledger.balances(session, prefix=f"creator:{maya.id}:")
        net = Commission.amount_minor - Commission.reversed_minor
        by_status = dict(
            (
                await session.execute(
                    select(Commission.status, func.sum(net)).group_by(Commission.status)
                )
            ).all()
        )
        paid = await session.scalar(select(func.sum(Payout.amount_minor)))
    assert -books[(ledger.creator_pending(maya.id), "USD")] == by_status["pending"] == 700
    assert -books[(ledger.creator_available(maya.id), "USD")] == by_status["settled"] == 1500
    assert paid == by_status["paid_out"] == 2000


async def test_the_earnings_page_shows_each_line_and_the_totals(client, databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    shopper = await factories.shopper(databases)
    order = await support.paid_order(
        databases,
        shopper,
        shop_id=shop.shop_id,
        lines=[support.Line(product_id=41, price_minor=12_000, creator_id=maya.id)],
    )
    await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        base_minor=12_000,
        rate_bp=1250,
        order_id=order.id,
        order_line_id=order.lines[0].id,
        product_id=41,
    )
    await sign_in_creator(client, maya)

    page = await client.get("/creator/earnings", headers=BROWSER)

    assert page.status_code == 200, page.text
    assert "Product 41" in page.text  # the title as bought
    assert f"US-{order.id:06d}" in page.text
    assert "$120.00" in page.text and "12.5%" in page.text and "$15.00" in page.text
    assert "Pending" in page.text and "once delivered" in page.text
    assert "Request payout" not in page.text  # nothing settled to pay out yet


async def test_a_creator_requests_a_payout_on_the_page(client, databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    first, second = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(2)
    ]
    await payouts.settle_due(databases)
    csrf = await sign_in_creator(client, maya)
    assert "Request payout" in (await client.get("/creator/earnings", headers=BROWSER)).text

    paid = await client.post(
        "/creator/earnings/payout",
        data={"csrf_token": csrf, "market": "US", "line": [str(first.id)]},
    )

    assert paid.status_code == 303, paid.text
    page = await client.get("/creator/earnings", headers=BROWSER)
    assert "of $10.00 for 1 order line is on its way" in page.text
    assert await statuses(databases) == {first.id: "paid_out", second.id: "settled"}

    everything = await client.post(
        "/creator/earnings/payout",
        data={"csrf_token": csrf, "market": "US", "all_settled": "true"},
    )
    assert everything.status_code == 303
    assert set((await statuses(databases)).values()) == {"paid_out"}


async def test_asking_to_pay_out_a_pending_line_on_the_page_says_why_not(client, databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    pending = await commission(databases, creator_id=maya.id, shop_id=shop.shop_id)
    csrf = await sign_in_creator(client, maya)

    refused = await client.post(
        "/creator/earnings/payout",
        data={"csrf_token": csrf, "market": "US", "line": [str(pending.id)]},
    )

    assert refused.status_code == 422
    assert f"Commission #{pending.id} is not settled yet" in refused.text
    assert await statuses(databases) == {pending.id: "pending"}


async def test_the_payout_api_pays_settled_lines_and_refuses_unsettled_ones(client, databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    settled = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due()
    )
    await payouts.settle_due(databases)
    pending = await commission(databases, creator_id=maya.id, shop_id=shop.shop_id)
    headers = await creator_headers(databases, maya)

    refused = await client.post(
        "/api/v1/creator/payouts",
        json={"commission_ids": [settled.id, pending.id]},
        headers=headers,
    )
    empty = await client.post(
        "/api/v1/creator/payouts", json={"commission_ids": []}, headers=headers
    )
    paid = await client.post(
        "/api/v1/creator/payouts", json={"commission_ids": [settled.id]}, headers=headers
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        f"Commission #{pending.id} is not settled yet; only settled earnings can be paid out."
    )
    assert empty.status_code == 422
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount"]["display"] == "$10.00"
    assert (paid.json()["lines"], paid.json()["market"]) == (1, "US")


async def test_a_creator_never_sees_or_pays_another_creators_earnings(client, databases):
    shop = await factories.merchant(databases)
    maya, lee = await support.creator(databases), await support.creator(databases)
    mayas = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, base_minor=99_900, settle_after=due()
    )
    await payouts.settle_due(databases)
    lee_headers = await creator_headers(databases, lee)

    stolen = await client.post(
        "/api/v1/creator/payouts", json={"commission_ids": [mayas.id]}, headers=lee_headers
    )
    seen = await client.get("/api/v1/creator/earnings", headers=lee_headers)
    await sign_in_creator(client, lee)
    page = await client.get("/creator/earnings", headers=BROWSER)

    assert stolen.status_code == 404
    assert seen.json() == {"totals": [], "lines": [], "more": False}
    assert page.status_code == 200 and "$99.90" not in page.text and "No earnings yet" in page.text
    assert await statuses(databases) == {mayas.id: "settled"}


async def test_merchants_see_their_creators_sales_and_no_other_shops(client, databases):
    ours, theirs = await factories.merchant(databases), await factories.merchant(databases)
    maya, lee = await support.creator(databases), await support.creator(databases)
    # Maya: two lines of one order and one of another, one of them partly refunded
    await commission(
        databases, creator_id=maya.id, shop_id=ours.shop_id, order_id=1, base_minor=10_000
    )
    await commission(
        databases, creator_id=maya.id, shop_id=ours.shop_id, order_id=1, base_minor=6_000
    )
    await commission(
        databases,
        creator_id=maya.id,
        shop_id=ours.shop_id,
        order_id=2,
        base_minor=4_000,
        refunded_minor=2_000,
        reversed_minor=200,
    )
    await commission(
        databases, creator_id=maya.id, shop_id=ours.shop_id, market="ID", base_minor=150_000
    )
    await commission(databases, creator_id=lee.id, shop_id=theirs.shop_id, base_minor=77_700)

    api = await client.get("/api/v1/seller/affiliate/creators", headers=ours.headers)

    assert api.status_code == 200, api.text
    rows = {(row["handle"], row["gmv"]["currency"]): row for row in api.json()["creators"]}
    assert set(rows) == {(maya.handle, "USD"), (maya.handle, "IDR")}
    usd = rows[(maya.handle, "USD")]
    assert usd["gmv"]["display"] == "$200.00"
    assert (usd["orders"], usd["lines"]) == (2, 3)
    assert usd["commission"]["display"] == "$18.00"
    assert usd["return_rate_percent"] == 33.3
    receivable = {m["currency"]: m["amount_minor"] for m in api.json()["receivable"]}
    # USD: $200.00 - 5% fee - $20.00 commission, less the $20.00 refund ($2.00 of it the
    # creator's)
    assert receivable["USD"] == 20_000 - 1_000 - 2_000 - 2_000 + 200

    await sign_in_merchant(client, ours.email)
    page = await client.get("/seller/affiliate/performance", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert f"@{maya.handle}" in page.text and f"@{lee.handle}" not in page.text
    assert "$200.00" in page.text and "33.3%" in page.text and "$777.00" not in page.text
    assert "$152.00" in page.text  # the statement
