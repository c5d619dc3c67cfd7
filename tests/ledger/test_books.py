"""The books of a cell, through the ledger service on the real database: every transaction
balances, posting one twice writes nothing, and balances are kept per account and currency."""

import pytest
from sqlalchemy import Integer, func, literal, select, union_all

from shoptide.ledger import service as ledger
from shoptide.ledger.models import LedgerEntry
from shoptide.ledger.service import CASH, PLATFORM_FEE, Posting, Transaction

CELL = "main"


def sale(txn: str, amount: int, fee: int, *, currency: str = "USD", shop: int = 3) -> Transaction:
    return Transaction(
        txn,
        currency,
        [
            Posting(CASH, amount),
            Posting(ledger.merchant(shop), -(amount - fee)),
            Posting(PLATFORM_FEE, -fee),
        ],
    )


async def books(databases, prefix: str = "") -> dict[tuple[str, str], int]:
    async with databases.session(CELL, write=False) as s:
        return await ledger.balances(s, prefix=prefix)


async def entries(databases) -> int:
    async with databases.session(CELL, write=False) as s:
        return await s.scalar(select(func.count()).select_from(LedgerEntry)) or 0


async def test_a_posted_sale_moves_money_between_accounts_and_sums_to_zero(databases):
    async with databases.session(CELL) as s:
        assert await ledger.post(s, sale("paid:line:1", 2500, 250))

    balances = await books(databases)
    assert balances == {
        (CASH, "USD"): 2500,
        ("merchant:3", "USD"): -2250,
        (PLATFORM_FEE, "USD"): -250,
    }
    assert sum(balances.values()) == 0


async def test_a_transaction_that_does_not_balance_is_refused_and_writes_nothing(databases):
    lopsided = Transaction("paid:line:2", "USD", [Posting(CASH, 100), Posting(PLATFORM_FEE, -99)])

    with pytest.raises(ValueError, match="does not balance"):
        async with databases.session(CELL) as s:
            await ledger.post(s, lopsided)

    assert await entries(databases) == 0


async def test_posting_the_same_transaction_twice_is_a_no_op(databases):
    async with databases.session(CELL) as s:
        first = await ledger.post(s, sale("paid:line:3", 1000, 100))
    async with databases.session(CELL) as s:
        again = await ledger.post(s, sale("paid:line:3", 1000, 100))
        posted = await ledger.is_posted(s, "paid:line:3")

    assert (first, again, posted) == (True, False, True)
    assert await books(databases) == {
        (CASH, "USD"): 1000,
        ("merchant:3", "USD"): -900,
        (PLATFORM_FEE, "USD"): -100,
    }


async def test_zero_postings_are_left_out_of_the_books(databases):
    async with databases.session(CELL) as s:
        await ledger.post(s, sale("paid:line:4", 1000, 0))
        put = await ledger.postings(s, "paid:line:4")

    assert put == {CASH: 1000, "merchant:3": -1000}


async def test_balances_are_per_account_and_currency_and_filter_by_prefix(databases):
    async with databases.session(CELL) as s:
        await ledger.post(s, sale("paid:line:5", 2000, 200, shop=3))
        await ledger.post(s, sale("paid:line:6", 150000, 15000, currency="IDR", shop=3))
        await ledger.post(s, sale("paid:line:7", 500, 50, shop=31))

    merchant_3 = await books(databases, prefix="merchant:3")
    assert merchant_3 == {
        ("merchant:3", "USD"): -1800,
        ("merchant:3", "IDR"): -135000,
        ("merchant:31", "USD"): -450,  # a prefix is a prefix: "merchant:3" starts "merchant:31"
    }
    assert await books(databases, prefix="merchant:31") == {("merchant:31", "USD"): -450}
    assert (await books(databases))[CASH, "IDR"] == 150000


async def test_a_prefix_with_sql_wildcards_matches_them_literally(databases):
    async with databases.session(CELL) as s:
        await ledger.post(s, Transaction("t:1", "USD", [Posting("a_b", 5), Posting("axb", -5)]))

    assert await books(databases, prefix="a_") == {("a_b", "USD"): 5}


async def test_set_based_posting_writes_two_balanced_entries_per_row(databases):
    def transfer(txn: str, debit: str, credit: str, amount: int):
        return select(
            literal(txn).label("txn"),
            literal(debit).label("debit"),
            literal(credit).label("credit"),
            literal(amount).label("amount_minor"),
            literal("USD").label("currency"),
            literal(None, Integer).label("order_line_id"),
        )

    rows = union_all(
        transfer("settle:1", ledger.creator_pending(5), ledger.creator_available(5), 300),
        transfer("settle:2", ledger.creator_pending(6), ledger.creator_available(6), 0),
    )
    async with databases.session(CELL) as s:
        await ledger.post_selected(s, select(rows.subquery()))

    assert await books(databases) == {
        ("creator:5:pending", "USD"): 300,
        ("creator:5:available", "USD"): -300,
    }
