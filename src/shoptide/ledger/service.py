"""Posting to the books and reading balances (market cell).

The chart of accounts, per currency:
- `cash`: what the platform holds from shoppers (debit when a shopper pays, credit on a
  refund or a payout)
- `merchant:<shop id>`: what the platform owes the shop (its receivable)
- `platform_fee`: the platform's revenue
- `creator:<creator id>:pending` / `:available`: a creator's commission before settlement,
  and settled and payable (a payout credits `cash`: the money leaves the platform)
Every transaction's entries sum to zero, so the books balance by construction; posting
the same transaction again writes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import UTCDateTime, utcnow
from shoptide.ledger.models import LedgerEntry

CASH = "cash"
PLATFORM_FEE = "platform_fee"


def merchant(shop_id: int) -> str:
    return f"merchant:{shop_id}"


def creator_pending(creator_id: int) -> str:
    return f"creator:{creator_id}:pending"


def creator_available(creator_id: int) -> str:
    return f"creator:{creator_id}:available"


def creator_account_of(
    creator_id: SQLColumnExpression[int], side: Literal["pending", "available"]
) -> ColumnElement[str]:
    """creator_pending / creator_available of a column, in SQL (for
    post_selected)."""
    return literal("creator:") + sql_cast(creator_id, String) + literal(f":{side}")


@dataclass(frozen=True)
class Posting:
    account: str
    amount_minor: int  # debit positive, credit negative


@dataclass(frozen=True)
class Transaction:
    txn: str  # unique name, e.g. "paid:line:12"
    currency: str
    postings: Sequence[Posting]
    order_line_id: int | None = None


def _rows(transaction: Transaction, at: datetime) -> list[dict[str, object]]:
    if sum(p.amount_minor for p in transaction.postings) != 0:
        raise ValueError(f"transaction {transaction.txn} does not balance")
    return [
        {
            "txn": transaction.txn,
            "account": p.account,
            "amount_minor": p.amount_minor,
            "currency": transaction.currency,
            "order_line_id": transaction.order_line_id,
            "at": at,
        }
        for p in transaction.postings
        if p.amount_minor != 0
    ]


async def is_posted(session: AsyncSession, txn: str) -> bool:
    return (
        await session.scalar(select(LedgerEntry.id).where(LedgerEntry.txn == txn).limit(1))
        is not None
    )


async def post(
    session: AsyncSession, transaction: Transaction, *, at: datetime | None = None
) -> bool:
    """Post one transaction in the caller's unit of work; False if it was posted before."""
    if await is_posted(session, transaction.txn):
        return False
    rows = _rows(transaction, at or utcnow())
    if rows:
        await session.execute(insert(LedgerEntry), rows)
    return True


TRANSFER_COLUMNS = ("txn", "debit", "credit", "amount_minor", "currency", "order_line_id")
_ENTRIES = cast(Table, LedgerEntry.__table__)  # Core INSERT ... SELECT, not the ORM's


async def post_selected(
    session: AsyncSession, transfers: Select[*tuple[Any, ...]], *, at: datetime | None = None
) -> None:
    """Post one two-entry transaction per row of `transfers`, in one INSERT ... SELECT: the
    settlement job's set-based path, no row passing through Python.

    The select's columns are TRANSFER_COLUMNS, by name and in that order: the transaction's
    name, the account debited (+amount), the account credited (-amount), the amount, the
    currency and the order line (or NULL). Both entries of a transaction come from the same
    row of the same statement, so each transaction sums to zero whatever the select returns;
    a row of amount 0 posts nothing, as `post` skips zero postings. The transactions must
    be new (the caller's conditional update guarantees it, as for post_many): one posted
    before fails on the unique (txn, account) and the caller's unit of work rolls back.
    """
    names = tuple(transfers.selected_columns.keys())
    if names != TRANSFER_COLUMNS:
        raise ValueError(f"post_selected needs the columns {TRANSFER_COLUMNS}, got {names}")
    rows = transfers.subquery()
    moment = literal(at or utcnow(), UTCDateTime())
    legs = union_all(
        *(
            select(
                rows.c.txn, account, amount, rows.c.currency, rows.c.order_line_id, moment
            ).where(rows.c.amount_minor != 0)
            for account, amount in (
                (rows.c.debit, rows.c.amount_minor),
                (rows.c.credit, -rows.c.amount_minor),
            )
        )
    )
    await session.execute(
        insert(_ENTRIES).from_select(
            ["txn", "account", "amount_minor", "currency", "order_line_id", "at"], legs
        )
    )


async def postings(session: AsyncSession, txn: str) -> dict[str, int]:
    """What one posted transaction put on each account."""
    rows = await session.execute(
        select(LedgerEntry.account, LedgerEntry.amount_minor).where(LedgerEntry.txn == txn)
    )
    return {account: int(amount) for account, amount in rows}


async def balances(session: AsyncSession, *, prefix: str = "") -> dict[tuple[str, str], int]:
    """Balance of every (account, currency) whose name starts with `prefix`."""
    query = select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
    if prefix:
        query = query.where(LedgerEntry.account.startswith(prefix, autoescape=True))
    rows = await session.execute(query.group_by(LedgerEntry.account, LedgerEntry.currency))
    return {(account, currency): int(total) for account, currency, total in rows}
