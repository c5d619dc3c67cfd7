"""Helpers of the settlement and earnings tests: commission rows written directly, each
with the payment (and any reversal) posted to the books as commissions.py posts them, so
balances are real; bearer tokens and page sign-in for creators."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from shoptide.accounts import service as accounts_service
from shoptide.accounts.models import User
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.rates import share
from shoptide.db import Databases, utcnow
from shoptide.ledger import service as ledger
from shoptide.ledger.service import Posting, Transaction
from shoptide.settings import GLOBAL_CELL
from tests import factories, pages
from tests.affiliate.support import CreatorRef

FEE_BP = 500
_lines = itertools.count(1000)


@dataclass(frozen=True)
class CommissionRef:
    id: int
    cell: str
    amount_minor: int
    reversed_minor: int

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.reversed_minor


def due(days: int = 1) -> datetime:
    """A settle_after that has passed."""
    return utcnow() - timedelta(days=days)


async def commission(
    databases: Databases,
    *,
    creator_id: int,
    shop_id: int,
    market: str = "US",
    base_minor: int = 10_000,
    rate_bp: int = 1000,
    settle_after: datetime | None = None,
    status: str = "pending",
    reversed_minor: int = 0,
    refunded_minor: int = 0,
    order_id: int | None = None,
    order_line_id: int | None = None,
    product_id: int = 1,
) -> CommissionRef:
    """A commission as payment leaves it (pending), with `paid:line:<id>` posted; a
    reversal, if any, posted as a refund of the line."""
    cell = databases.settings.cell_of_market(market)
    currency = factories.CURRENCY[market]
    line_id = order_line_id or next(_lines)
    amount = share(base_minor, rate_bp)
    fee = share(base_minor, FEE_BP)
    async with databases.session(cell) as session:
        row = Commission(
            order_id=order_id or line_id,
            order_line_id=line_id,
            creator_id=creator_id,
            shop_id=shop_id,
            product_id=product_id,
            market_code=market,
            currency=currency,
            source_kind="video",
            source_id=1,
            base_minor=base_minor,
            rate_bp=rate_bp,
            amount_minor=amount,
            reversed_minor=reversed_minor,
            refunded_minor=refunded_minor,
            status=status,
            settle_after=settle_after,
        )
        session.add(row)
        await session.flush()
        await ledger.post(
            session,
            Transaction(
                txn=f"paid:line:{line_id}",
                currency=currency,
                postings=[
                    Posting(ledger.CASH, base_minor),
                    Posting(ledger.merchant(shop_id), -(base_minor - fee - amount)),
                    Posting(ledger.PLATFORM_FEE, -fee),
                    Posting(ledger.creator_pending(creator_id), -amount),
                ],
                order_line_id=line_id,
            ),
        )
        if reversed_minor or refunded_minor:
            await ledger.post(
                session,
                Transaction(
                    txn=f"refund:{line_id}",
                    currency=currency,
                    postings=[
                        Posting(ledger.CASH, -refunded_minor),
                        Posting(ledger.creator_pending(creator_id), reversed_minor),
                        Posting(ledger.merchant(shop_id), refunded_minor - reversed_minor),
                    ],
                    order_line_id=line_id,
                ),
            )
        return CommissionRef(row.id, cell, amount, reversed_minor)


async def creator_headers(databases: Databases, creator: CreatorRef) -> dict[str, str]:
    async with databases.session(GLOBAL_CELL) as session:
        user = await session.get_one(User, creator.user_id)
        token = await accounts_service.issue_token(session, user=user, cell=GLOBAL_CELL)
    return factories.bearer(token)


async def sign_in_creator(client: httpx.AsyncClient, creator: CreatorRef) -> str:
    """Sign in through the form as a creator; returns the session's CSRF token."""
    token = await pages.csrf_token(client)
    response = await client.post(
        "/signin",
        data={
            "account": "creator",
            "email": creator.email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text
    return token


async def statuses(databases: Databases, cell: str = "main") -> dict[int, str]:
    async with databases.session(cell, write=False) as session:
        rows = await session.execute(select(Commission.id, Commission.status))
        return {commission_id: status for commission_id, status in rows}
