"""Posting to the books and reading balances (market cell).

The chart of accounts, per currency:
- `cash`: what the platform holds from shoppers (debit when a shopper pays, credit on a
  refund or a payout)
- `merchant:<shop id>`: what the platform owes the shop (its receivable)
- `platform_fee`: the platform's revenue
- `creator:<creator id>:pending` / `:available` / `:paid`: a creator's commission before
  settlement, settled and payable, and paid out
Every transaction's entries sum to zero, so the books balance by construction; posting
the same transaction again writes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.db import utcnow
from shoptide.ledger.models import LedgerEntry

CASH = "cash"
PLATFORM_FEE = "platform_fee"


def merchant(shop_id: int) -> str:
    return f"merchant:{shop_id}"


def creator_pending(creator_id: int) -> str:
    return f"creator:{creator_id}:pending"


def creator_available(creator_id: int) -> str:
    return f"creator:{creator_id}:available"


def creator_paid(creator_id: int) -> str:
    return f"creator:{creator_id}:paid"


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


async def post_many(
    session: AsyncSession, transactions: Sequence[Transaction], *, at: datetime | None = None
) -> None:
    """Post transactions known to be new (the caller's conditional update guarantees it), in
    one executemany: the settlement job's fast path."""
    moment = at or utcnow()
    rows = [row for transaction in transactions for row in _rows(transaction, moment)]
    if rows:
        await session.execute(insert(LedgerEntry), rows)


async def balances(session: AsyncSession, *, prefix: str = "") -> dict[tuple[str, str], int]:
    """Balance of every (account, currency) whose name starts with `prefix`."""
    query = select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
    if prefix:
        query = query.where(LedgerEntry.account.startswith(prefix, autoescape=True))
    rows = await session.execute(query.group_by(LedgerEntry.account, LedgerEntry.currency))
    return {(account, currency): int(total) for account, currency, total in rows}


async def entries(
    session: AsyncSession, *, account: str, limit: int = 200
) -> Sequence[LedgerEntry]:
    """An account's statement, newest first."""
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.account == account)
        .order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc())
        .limit(limit)
    )
    return rows.all()
