"""Settlement and payouts: idempotent background jobs that keep the books balanced."""

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shoptide import background
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts import flows as payout_flows
from shoptide.affiliate.payouts import service as payouts_service
from shoptide.affiliate.payouts.models import Payout
from shoptide.cli import app as cli
from shoptide.db import utcnow
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.ledger.models import LedgerEntry
from tests import factories
from tests.affiliate import support
from tests.affiliate.earnings_support import commission, due, statuses


async def settle_txns(databases, cell: str = "main") -> dict[str, int]:
    """Entries per settle:<id> transaction."""
    async with databases.session(cell, write=False) as session:
        rows = await session.execute(
            select(LedgerEntry.txn, func.count())
            .where(LedgerEntry.txn.startswith("settle:"))
            .group_by(LedgerEntry.txn)
        )
        return {txn: count for txn, count in rows}


async def payouts(databases, cell: str = "main") -> list[Payout]:
    async with databases.session(cell, write=False) as session:
        return list(await session.scalars(select(Payout).order_by(Payout.id)))


async def test_settlement_settles_only_lines_past_their_return_window(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    ready = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due()
    )
    waiting = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        settle_after=utcnow() + timedelta(days=3),
    )
    undelivered = await commission(databases, creator_id=maya.id, shop_id=shop.shop_id)

    assert await payout_flows.settle_due(databases) == 1

    assert await statuses(databases) == {
        ready.id: "settled",
        waiting.id: "pending",
        undelivered.id: "pending",
    }
    books = await support.balances(databases)
    assert books[f"creator:{maya.id}:available"] == -ready.net_minor
    assert books[f"creator:{maya.id}:pending"] == -(waiting.net_minor + undelivered.net_minor)
    assert sum(books.values()) == 0


async def test_settling_twice_settles_nothing_twice(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    lines = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(3)
    ]

    assert await payout_flows.settle_due(databases) == 3
    assert await payout_flows.settle_due(databases) == 0

    # one transaction of two entries per line, one event per line
    assert await settle_txns(databases) == {f"settle:{line.id}": 2 for line in lines}
    settled = await support.outbox(databases, type_="CommissionSettled")
    assert sorted(e["commission_id"] for e in settled) == [line.id for line in lines]
    assert {e["amount_minor"] for e in settled} == {1000}


async def test_competing_settlement_runs_settle_each_line_once(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    lines = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(12)
    ]

    counts = await asyncio.gather(*(payout_flows.settle_due(databases, batch=5) for _ in range(3)))

    assert sum(counts) == 12
    assert await settle_txns(databases) == {f"settle:{line.id}": 2 for line in lines}
    assert len(await support.outbox(databases, type_="CommissionSettled")) == 12


async def test_settlement_pages_through_batches_in_every_cell(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    us = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(5)
    ]
    indonesia = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        market="ID",
        base_minor=150_000,
        settle_after=due(),
    )

    assert await payout_flows.settle_due(databases, batch=2) == 6

    assert set((await statuses(databases)).values()) == {"settled"}
    assert await statuses(databases, "sea") == {indonesia.id: "settled"}
    assert len(await settle_txns(databases)) == len(us)
    sea_books = await support.balances(databases, "sea")
    assert sea_books[f"creator:{maya.id}:available"] == -15_000


async def test_a_partly_reversed_line_settles_what_is_left(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    # 10% of $100.00 earned $10.00; a $40.00 refund took back $4.00
    line = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        settle_after=due(),
        refunded_minor=4000,
        reversed_minor=400,
    )

    assert await payout_flows.settle_due(databases) == 1

    books = await support.balances(databases)
    assert books[f"creator:{maya.id}:available"] == -600
    assert books[f"creator:{maya.id}:pending"] == 0
    (event,) = await support.outbox(databases, type_="CommissionSettled")
    assert (event["commission_id"], event["amount_minor"]) == (line.id, 600)


async def test_a_fully_reversed_line_never_settles(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    line = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        settle_after=due(),
        status="reversed",
        refunded_minor=10_000,
        reversed_minor=1000,
    )

    assert await payout_flows.settle_due(databases) == 0

    assert await statuses(databases) == {line.id: "reversed"}
    assert await settle_txns(databases) == {}
    assert await support.outbox(databases, type_="CommissionSettled") == []


# --- payouts --------------------------------------------------------------------------------


async def test_a_payout_run_pays_each_creator_once_per_run_key(databases):
    shop = await factories.merchant(databases)
    maya, lee = await support.creator(databases), await support.creator(databases)
    for creator_id, base in [(maya.id, 10_000), (maya.id, 5_000), (lee.id, 2_000)]:
        await commission(
            databases,
            creator_id=creator_id,
            shop_id=shop.shop_id,
            base_minor=base,
            settle_after=due(),
        )
    await payout_flows.settle_due(databases)
    cash_before = (await support.balances(databases))["cash"]

    assert await payout_flows.run_payouts(databases, run_key="daily-2026-12-01") == 2
    assert await payout_flows.run_payouts(databases, run_key="daily-2026-12-01") == 0

    made = {p.creator_id: p for p in await payouts(databases)}
    assert (made[maya.id].amount_minor, made[maya.id].lines) == (1500, 2)
    assert (made[lee.id].amount_minor, made[lee.id].lines) == (200, 1)
    assert made[maya.id].run_key == "daily-2026-12-01:USD"
    assert set((await statuses(databases)).values()) == {"paid_out"}
    books = await support.balances(databases)
    assert books[f"creator:{maya.id}:available"] == 0
    assert books[f"creator:{lee.id}:available"] == 0
    assert books["cash"] == cash_before - 1700
    assert sum(books.values()) == 0


async def test_what_settles_after_a_run_waits_for_the_next_run(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
    await payout_flows.settle_due(databases)
    await payout_flows.run_payouts(databases, run_key="daily-2026-12-01")
    later = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due()
    )
    await payout_flows.settle_due(databases)

    assert await payout_flows.run_payouts(databases, run_key="daily-2026-12-01") == 0
    assert (await statuses(databases))[later.id] == "settled"
    assert await payout_flows.run_payouts(databases, run_key="daily-2026-12-02") == 1
    assert (await statuses(databases))[later.id] == "paid_out"
    assert [p.amount_minor for p in await payouts(databases)] == [1000, 1000]


async def test_the_daily_sweep_pays_out_under_the_days_key(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
    sweeps = dict((sweep, done) for done, sweep in background.SWEEPS)
    assert payout_flows.settle_due in sweeps and background.pay_out_daily in sweeps

    assert await payout_flows.settle_due(databases) == 1
    assert await background.pay_out_daily(databases) == 1
    assert await background.pay_out_daily(databases) == 0

    (payout,) = await payouts(databases)
    assert payout.run_key == f"daily-{utcnow().date().isoformat()}:USD"


async def test_a_run_key_too_long_to_store_is_refused(databases):
    with pytest.raises(InvalidInput):
        await payout_flows.run_payouts(databases, run_key="x" * 37)


async def request(databases, creator_id: int, ids: list[int], cell: str = "main") -> Payout:
    async with databases.session(cell) as session:
        return await payouts_service.request_payout(
            session, creator_id=creator_id, commission_ids=ids
        )


async def test_a_creator_is_paid_the_settled_lines_they_ask_for(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    first, second, third = [
        await commission(databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due())
        for _ in range(3)
    ]
    await payout_flows.settle_due(databases)

    payout = await request(databases, maya.id, [first.id, third.id])

    assert (payout.amount_minor, payout.lines, payout.currency) == (2000, 2, "USD")
    assert await statuses(databases) == {
        first.id: "paid_out",
        second.id: "settled",
        third.id: "paid_out",
    }
    assert (await support.balances(databases))[f"creator:{maya.id}:available"] == -1000
    with pytest.raises(Conflict, match=f"Commission #{first.id} is already paid out"):
        await request(databases, maya.id, [first.id, second.id])


async def test_a_payout_of_an_unsettled_line_is_refused_and_nothing_is_written(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    settled = await commission(
        databases, creator_id=maya.id, shop_id=shop.shop_id, settle_after=due()
    )
    await payout_flows.settle_due(databases)
    pending = await commission(databases, creator_id=maya.id, shop_id=shop.shop_id)

    with pytest.raises(InvalidInput) as refused:
        await request(databases, maya.id, [settled.id, pending.id])

    assert refused.value.message == (
        f"Commission #{pending.id} is not settled yet; only settled earnings can be paid out."
    )
    assert await payouts(databases) == []
    assert await statuses(databases) == {settled.id: "settled", pending.id: "pending"}


async def test_a_payout_needs_at_least_one_line(databases):
    maya = await support.creator(databases)
    with pytest.raises(InvalidInput, match="at least one"):
        await request(databases, maya.id, [])


async def test_a_creator_cannot_be_paid_another_creators_line(databases):
    shop = await factories.merchant(databases)
    maya, lee = await support.creator(databases), await support.creator(databases)
    theirs = await commission(
        databases, creator_id=lee.id, shop_id=shop.shop_id, settle_after=due()
    )
    await payout_flows.settle_due(databases)

    with pytest.raises(NotFound, match=f"Commission #{theirs.id} not found"):
        await request(databases, maya.id, [theirs.id])

    assert await payouts(databases) == []
    assert await statuses(databases) == {theirs.id: "settled"}


async def test_the_commands_settle_as_of_a_time_and_pay_out_a_named_run(databases):
    shop = await factories.merchant(databases)
    maya = await support.creator(databases)
    soon = await commission(
        databases,
        creator_id=maya.id,
        shop_id=shop.shop_id,
        settle_after=utcnow() + timedelta(days=2),
    )
    settings = databases.settings
    env = {
        "SHOPTIDE_DATA_DIR": str(settings.data_dir),
        "SHOPTIDE_CELL_URLS": json.dumps(settings.cell_urls),
        "SHOPTIDE_MARKET_CELLS": json.dumps(settings.market_cells),
    }
    as_of = (utcnow() + timedelta(days=3)).isoformat(timespec="seconds")

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["affiliate", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "settled 0 " in await asyncio.to_thread(run, "settle")
    assert "settled 1 " in await asyncio.to_thread(run, "settle", "--as-of", as_of)
    assert "1 payout(s)" in await asyncio.to_thread(run, "payouts", "--run-key", "weekly-49")
    assert "0 payout(s)" in await asyncio.to_thread(run, "payouts", "--run-key", "weekly-49")
    too_long = await asyncio.to_thread(
        CliRunner().invoke, cli, ["affiliate", "payouts", "--run-key", "x" * 37], env=env
    )
    assert too_long.exit_code == 2 and "1 to 36 characters" in too_long.output

    async with databases.session("main", write=False) as session:
        line = await session.get_one(Commission, soon.id)
    assert line.status == "paid_out"
