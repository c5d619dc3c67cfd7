"""What creators earned and what creators sold for a shop: read models, one cell's session
at a time (flows.py adds them up over every cell).

A creator's balances come from the books (`creator:<id>:pending` and `:available`, see
affiliate.payouts), what was paid out from the Payout rows, and what refunds took back from the
commission rows; the lines themselves are the commission rows. Commission and order ids are
unique only within a cell, so every line carries its market.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.payouts.models import Payout
from shoptide.ledger import service as ledger
from shoptide.orders.models import OrderLine

LINES_SHOWN = 200

STATUS_LABELS = {
    "pending": "Pending",
    "settled": "Settled",
    "reversed": "Reversed",
    "paid_out": "Paid out",
}


@dataclass(frozen=True)
class EarningLine:
    """One order line a creator earns on."""

    commission_id: int
    market: str
    order_id: int
    order_line_id: int
    product_id: int
    title: str
    currency: str
    paid_minor: int  # what the shopper paid for the line: the commission's base
    rate_bp: int
    commission_minor: int  # earned at payment
    reversed_minor: int  # taken back by refunds and cancellations
    status: str
    accrued_at: datetime
    settle_after: datetime | None  # None until the order is delivered
    settled_at: datetime | None

    @property
    def net_minor(self) -> int:
        return self.commission_minor - self.reversed_minor

    @property
    def rate_percent(self) -> str:
        return f"{self.rate_bp / 100:g}%"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Totals:
    """A creator's earnings in one currency."""

    currency: str
    pending_minor: int = 0  # earned, waiting for the return window
    settled_minor: int = 0  # settled and not paid out yet: available to withdraw
    reversed_minor: int = 0
    paid_out_minor: int = 0


@dataclass
class CreatorEarnings:
    totals: list[Totals]  # one per currency the creator has earned in
    lines: list[EarningLine]  # newest first, at most LINES_SHOWN
    more: bool  # older lines exist beyond those shown

    def markets(self) -> list[str]:
        """Markets of the lines shown, in order of first appearance."""
        return list(dict.fromkeys(line.market for line in self.lines))


async def add_totals(session: AsyncSession, creator_id: int, totals: dict[str, Totals]) -> None:
    def of(currency: str) -> Totals:
        return totals.setdefault(currency, Totals(currency))

    # the creator's accounts are liabilities: credits (negative) are what the platform owes
    books = await ledger.balances(session, prefix=f"creator:{creator_id}:")
    for (account, currency), balance in books.items():
        if account == ledger.creator_pending(creator_id):
            of(currency).pending_minor += -balance
        elif account == ledger.creator_available(creator_id):
            of(currency).settled_minor += -balance
    paid = await session.execute(
        select(Payout.currency, func.sum(Payout.amount_minor))
        .where(Payout.creator_id == creator_id)
        .group_by(Payout.currency)
    )
    for currency, amount in paid:
        of(currency).paid_out_minor += int(amount)
    taken_back = await session.execute(
        select(Commission.currency, func.sum(Commission.reversed_minor))
        .where(Commission.creator_id == creator_id, Commission.reversed_minor > 0)
        .group_by(Commission.currency)
    )
    for currency, amount in taken_back:
        of(currency).reversed_minor += int(amount)


async def lines(session: AsyncSession, creator_id: int, limit: int) -> list[EarningLine]:
    # The line's title as bought is read from the order line beside it (same cell, read
    # only): the product may have been renamed since.
    rows = await session.execute(
        select(Commission, OrderLine.title)
        .outerjoin(OrderLine, OrderLine.id == Commission.order_line_id)
        .where(Commission.creator_id == creator_id)
        .order_by(Commission.accrued_at.desc(), Commission.id.desc())
        .limit(limit)
    )
    return [_line(c, title) for c, title in rows]


def _line(c: Commission, title: str | None) -> EarningLine:
    return EarningLine(
        commission_id=c.id,
        market=c.market_code,
        order_id=c.order_id,
        order_line_id=c.order_line_id,
        product_id=c.product_id,
        title=title or f"Product #{c.product_id}",
        currency=c.currency,
        paid_minor=c.base_minor,
        rate_bp=c.rate_bp,
        commission_minor=c.amount_minor,
        reversed_minor=c.reversed_minor,
        status=c.status,
        accrued_at=c.accrued_at,
        settle_after=c.settle_after,
        settled_at=c.settled_at,
    )


# --- a shop's creators -----------------------------------------------------------------------


@dataclass
class CreatorPerformance:
    """What one creator sold for the shop, in one currency."""

    creator_id: int
    handle: str
    display_name: str
    currency: str
    gmv_minor: int = 0  # what shoppers paid for the creator's lines
    orders: int = 0
    lines: int = 0
    commission_minor: int = 0  # earned, less what refunds took back
    returned_lines: int = 0  # lines with any refund, return or cancellation

    @property
    def return_rate_percent(self) -> float:
        return round(100 * self.returned_lines / self.lines, 1) if self.lines else 0.0


@dataclass
class ShopPerformance:
    creators: list[CreatorPerformance]  # by currency, then the most GMV first
    # what the platform owes the shop per currency, from the books of every cell
    receivable: dict[str, int] = field(default_factory=dict)


async def add_performance(
    session: AsyncSession, shop_id: int, rows: dict[tuple[int, str], CreatorPerformance]
) -> None:
    returned = (
        (Commission.refunded_minor > 0)
        | (Commission.reversed_minor > 0)
        | (Commission.status == "reversed")
    )
    found = await session.execute(
        select(
            Commission.creator_id,
            Commission.currency,
            func.sum(Commission.base_minor),
            func.count(distinct(Commission.order_id)),
            func.count(),
            func.sum(Commission.amount_minor - Commission.reversed_minor),
            func.sum(case((returned, 1), else_=0)),
        )
        .where(Commission.shop_id == shop_id)
        .group_by(Commission.creator_id, Commission.currency)
    )
    # order ids are per cell: the orders of two cells are different orders, so counts add up
    for creator_id, currency, gmv, orders, lines, commission, returns in found:
        row = rows.setdefault(
            (creator_id, currency), CreatorPerformance(creator_id, "", "", currency)
        )
        row.gmv_minor += int(gmv)
        row.orders += int(orders)
        row.lines += int(lines)
        row.commission_minor += int(commission)
        row.returned_lines += int(returns)


async def add_receivable(session: AsyncSession, shop_id: int, receivable: dict[str, int]) -> None:
    """Add what the platform owes the shop in this cell's books, per currency."""
    merchant = ledger.merchant(shop_id)
    for (account, currency), balance in (await ledger.balances(session, prefix=merchant)).items():
        if account == merchant:  # not merchant:12 for merchant:1
            receivable[currency] = receivable.get(currency, 0) - balance
