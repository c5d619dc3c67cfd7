"""Settlement writes its books and events set-based (INSERT ... SELECT): what it writes must
be exactly what posting and recording each line one by one would have written."""

import asyncio

import pytest
from sqlalchemy import func, literal, select

from shoptide import events
from shoptide.affiliate.payouts import flows as payouts
from shoptide.db import utcnow
from shoptide.ledger import service as ledger
from shoptide.ledger.models import LedgerEntry
from tests import factories
from tests.affiliate import support
from tests.affiliate.earnings_support import commission, due


async def test_settled_events_carry_the_payload_of_the_event_itself(databases):
    shop = await factories.merchant(databases)
    maya, lee = await support.creator(databases), await support.creator(databases)
    whole = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due()
    )
    partly = await commission(
        databases,
        creator_id=lee.id,
        shop_id=shop.shop_id,
        settle_after=due(),
        refunded_minor=2500,
        reversed_minor=250,
    )
    indonesia = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        market="ID",
        base_minor=150_000,
        settle_after=due(),
    )

    assert await payouts.settle_due(databases) == 3

    def settled(line, market: str, creator_id: int, currency: str) -> dict:
        return events.CommissionSettled(
            commission_id=line.id,
            market=market,
            creator_id=creator_id,
            amount_minor=line.net_minor,
            currency=currency,
        ).payload()

    assert await support.outbox(databases, type_="CommissionSettled") == [
        settled(whole, "US", maya.id, "USD"),
        settled(partly, "US", lee.id, "USD"),
    ]
    assert await support.outbox(databases, "sea", type_="CommissionSettled") == [
        settled(indonesia, "ID", maya.id, "IDR")
    ]


async def test_each_settlement_transaction_balances_and_moves_pending_to_available(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    lines = [
        await commission(
            databases,
            creator_id=maya.id,
            shop_id=shop.shop_id,
            settle_after=due(),
            refunded_minor=1000 * n,
            reversed_minor=100 * n,
        )
        for n in range(3)
    ]
    moment = utcnow()

    await payouts.settle_due(databases, now=moment, batch=2)

    async with databases.session("main", write=False) as session:
        per_txn = dict(
            (
                await session.execute(
                    select(LedgerEntry.txn, func.sum(LedgerEntry.amount_minor)).group_by(
                        LedgerEntry.txn
                    )
                )
            ).all()
        )
        settle_entries = (
            await session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.txn.startswith("settle:"))
                .order_by(LedgerEntry.txn, LedgerEntry.account)
            )
        ).all()
    assert set(per_txn.values()) == {0}
    assert [(e.txn, e.account, e.amount_minor) for e in settle_entries] == sorted(
        entry
        for line in lines
        for entry in [
            (f"settle:{line.id}", ledger.creator_available(maya.id), -line.net_minor),
            (f"settle:{line.id}", ledger.creator_pending(maya.id), line.net_minor),
        ]
    )
    assert {(e.currency, e.at) for e in settle_entries} == {("USD", moment)}
    books = await support.balances(databases)
    assert books[ledger.creator_pending(maya.id)] == 0
    assert books[ledger.creator_available(maya.id)] == -sum(line.net_minor for line in lines)


async def test_runs_given_the_same_time_still_settle_each_line_once(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    lines = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(9)
    ]
    moment = utcnow()

    counts = await asyncio.gather(
        *(payouts.settle_due(databases, now=moment, batch=4) for _ in range(3))
    )

    assert sum(counts) == len(lines)
    settled = await support.outbox(databases, type_="CommissionSettled")
    assert sorted(e["commission_id"] for e in settled) == [line.id for line in lines]
    assert sum((await support.balances(databases)).values()) == 0


async def test_set_based_writers_refuse_a_select_of_other_columns(databases):
    async with databases.session("main") as session:
        with pytest.raises(ValueError, match="post_selected needs the columns"):
            await ledger.post_selected(session, select(literal("x").label("txn")))
        with pytest.raises(ValueError, match="CommissionSettled needs the columns"):
            await events.record_selected(
                session, events.CommissionSettled, select(literal(1).label("commission_id"))
            )
