"""Settling creator commissions and paying them out (market cells).

A commission is pending from payment (affiliate.commissions credits it to
`creator:<id>:pending` in the line's `paid:line:<line>` transaction). Once its return window
has passed (`settle_after`), settlement moves what refunds left of it to the creator's
available balance, and a payout pays the available lines out. The books:

- `settle:<commission id>`: `creator:<id>:pending` +x, `creator:<id>:available` -x, where
  x = amount - reversed;
- `payout:<payout id>`: `creator:<id>:available` +total, `cash` -total. The money leaves
  through the bank transfer file, outside this system; crediting `cash` keeps `cash` equal to
  what the platform still holds. What was paid out is read from the Payout rows.

Concurrency is decided in SQL. Settlement claims each batch with one conditional UPDATE
(`... WHERE status = 'pending' RETURNING id`), so two runs never settle a line twice; the
batch's ledger transactions and CommissionSettled events are then written set-based
(INSERT ... SELECT, no row through Python) for exactly the ids that UPDATE returned, so each
settled line gets exactly one transaction and one event. A
payout claims its lines the same way (`settled` → `paid_out`), under a Payout row whose
unique (creator, run key) makes a rerun of the same run pay nothing twice. A payout is in one
currency: the run key stored is `<run key>:<currency>`, one payout per creator, currency and
run.

Functions here take the cell's session; the jobs that visit every cell, and a creator's
payout request, are in flows.py.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Update,
    any_,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts.models import Payout
from shoptide.db import upsert, utcnow
from shoptide.errors import Conflict, InvalidInput, NotFound
from shoptide.ledger import service as ledger
from shoptide.ledger.service import Posting, Transaction

SETTLE_BATCH = 5000
RUN_KEY_MAX = 36  # Payout.run_key is 40 characters: the key, a colon and the currency


class _Claimed(NamedTuple):
    """A line a conditional UPDATE made ours, and what the creator keeps of it: the
    commission less what refunds reversed."""

    id: int
    creator_id: int
    market: str
    currency: str
    order_line_id: int
    net_minor: int


async def _claim(session: AsyncSession, claim: Update) -> list[_Claimed]:
    """Run the conditional UPDATE; the lines it changed (and only those) are ours."""
    rows = await session.execute(
        claim.returning(
            Commission.id,
            Commission.creator_id,
            Commission.market_code,
            Commission.currency,
            Commission.order_line_id,
            Commission.amount_minor - Commission.reversed_minor,
        ).execution_options(synchronize_session=False)
    )
    return [_Claimed(*row) for row in rows]


# --- settlement ---------------------------------------------------------------------------


async def settle_batch(
    session: AsyncSession, *, after: int, now: datetime, batch: int = SETTLE_BATCH
) -> tuple[int, int | None]:
    """Settle the next `batch` due lines with ids above `after`, in the caller's unit of
    work: their transactions and events too. Returns how many this call settled and the
    id to continue after (None: no due line is left)."""
    window = (
        select(Commission.id)
        .where(Commission.id > after)
        .where(Commission.status == "pending")
        .where(Commission.settle_after <= now)
        .order_by(Commission.id)
        .limit(batch)
        .subquery()
    )
    through = await session.scalar(select(func.max(window.c.id)))
    if through is None:
        return 0, None
    # The claim: a range of the primary key (cheaper to plan than thousands of ids), and
    # only lines still pending, so a competing run never settles one twice.
    in_range = (Commission.id > after, Commission.id <= through)
    claimed = list(
        await session.scalars(
            update(Commission)
            .where(*in_range)
            .where(Commission.status == "pending")
            .where(Commission.settle_after <= now)
            .values(status="settled", settled_at=now)
            .returning(Commission.id)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed:
        # The books and events of exactly the lines this UPDATE returned: by their ids, not
        # by "settled at `now`", which a competing run given the same time also matches.
        mine = (*in_range, _among(session, claimed))
        net = Commission.amount_minor - Commission.reversed_minor
        await ledger.post_selected(
            session,
            select(
                (literal("settle:") + Commission.id.cast(String)).label("txn"),
                ledger.creator_account_of(Commission.creator_id, "pending").label("debit"),
                ledger.creator_account_of(Commission.creator_id, "available").label("credit"),
                net.label("amount_minor"),
                Commission.currency,
                Commission.order_line_id,
            ).where(*mine),
            at=now,
        )
        await events.record_selected(
            session,
            events.CommissionSettled,
            select(
                Commission.id.label("commission_id"),
                Commission.market_code.label("market"),
                Commission.creator_id,
                net.label("amount_minor"),
                Commission.currency,
            )
            .where(*mine)
            .order_by(Commission.id),
            at=now,
        )
    return len(claimed), through


def _among(session: AsyncSession, ids: list[int]) -> ColumnElement[bool]:
    """`commission.id IN ids` as one parameter whatever the number of ids (a batch may hold
    more than a database takes parameters): an array on PostgreSQL, JSON on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return Commission.id == any_(literal(ids, ARRAY(Integer)))
    listed = func.json_each(json.dumps(ids)).table_valued("value")
    return Commission.id.in_(select(listed.c.value))


# --- payouts ------------------------------------------------------------------------------


def daily_run_key(now: datetime | None = None) -> str:
    """The key of a day's scheduled payout run (UTC date)."""
    return f"daily-{(now or utcnow()).astimezone(UTC).date().isoformat()}"


def check_run_key(run_key: str) -> None:
    if not run_key or len(run_key) > RUN_KEY_MAX:
        raise InvalidInput(f"A payout run key is 1 to {RUN_KEY_MAX} characters.")


async def request_payout(
    session: AsyncSession,
    *,
    creator_id: int,
    commission_ids: Sequence[int],
    now: datetime | None = None,
) -> Payout:
    """A creator asks to be paid these settled lines (of the session's cell, in one
    currency). Nothing is written unless every line can be paid."""
    ids = sorted(set(commission_ids))
    if not ids:
        raise InvalidInput("Choose at least one settled order line to pay out.")
    lines = {
        line.id: line
        for line in await session.scalars(
            select(Commission).where(Commission.id.in_(ids), Commission.creator_id == creator_id)
        )
    }
    for commission_id in ids:
        _check_payable(lines.get(commission_id), commission_id)
    currencies = {line.currency for line in lines.values()}
    if len(currencies) > 1:
        raise InvalidInput("A payout is in one currency: choose lines of one currency.")
    # a line is paid out once, so the first line's id names the request for good
    payout = await pay(
        session,
        creator_id=creator_id,
        currency=currencies.pop(),
        key=f"request-{ids[0]}",
        now=now or utcnow(),
        only=ids,
    )
    if payout is None or payout.lines != len(ids):
        raise Conflict("Some of these lines were paid out a moment ago. Reload the page.")
    return payout


async def settled_ids(session: AsyncSession, *, creator_id: int, market: str) -> list[int]:
    """The creator's lines of the market that can be paid out now."""
    rows = await session.scalars(
        select(Commission.id)
        .where(Commission.creator_id == creator_id)
        .where(Commission.market_code == market.upper())
        .where(Commission.status == "settled")
        .order_by(Commission.id)
    )
    return list(rows)


def _check_payable(line: Commission | None, commission_id: int) -> None:
    if line is None:  # another creator's line reads exactly like one that does not exist
        raise NotFound(f"Commission #{commission_id} not found.")
    if line.status == "paid_out":
        raise Conflict(f"Commission #{commission_id} is already paid out.")
    if line.status == "reversed":
        raise InvalidInput(
            f"Commission #{commission_id} was reversed by a refund; nothing is left to pay out."
        )
    if line.status != "settled":
        raise InvalidInput(
            f"Commission #{commission_id} is not settled yet; "
            "only settled earnings can be paid out."
        )


async def pay(
    session: AsyncSession,
    *,
    creator_id: int,
    currency: str,
    key: str,
    now: datetime,
    only: Sequence[int] | None = None,
) -> Payout | None:
    """One payout of the creator's settled lines in `currency` (or of `only` those), under
    the key; None when the key has paid them before or nothing was left to claim."""
    payout_id = await session.scalar(
        upsert(session, Payout)
        .values(
            creator_id=creator_id,
            run_key=f"{key}:{currency}",
            currency=currency,
            amount_minor=0,
            lines=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["creator_id", "run_key"])
        .returning(Payout.id)
    )
    if payout_id is None:
        return None
    claim = (
        update(Commission)
        .where(Commission.creator_id == creator_id)
        .where(Commission.currency == currency)
        .where(Commission.status == "settled")
    )
    if only is not None:
        claim = claim.where(Commission.id.in_(only))
    claimed = await _claim(session, claim.values(status="paid_out", payout_id=payout_id))
    if not claimed:  # another run took them since we looked: leave no empty payout behind
        await session.execute(delete(Payout).where(Payout.id == payout_id))
        return None
    total = sum(line.net_minor for line in claimed)
    await ledger.post(
        session,
        Transaction(
            txn=f"payout:{payout_id}",
            currency=currency,
            postings=(
                Posting(ledger.creator_available(creator_id), total),
                Posting(ledger.CASH, -total),
            ),
        ),
        at=now,
    )
    payout = await session.get_one(Payout, payout_id)
    payout.amount_minor, payout.lines = total, len(claimed)
    await session.flush()
    return payout
