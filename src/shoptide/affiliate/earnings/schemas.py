"""The earnings, payouts and creator performance API's bodies."""

from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.affiliate.earnings.service import (
    CreatorEarnings,
    CreatorPerformance,
    EarningLine,
    ShopPerformance,
    Totals,
)
from shoptide.affiliate.payouts.models import Payout
from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.ids import BigId
from shoptide.markets.schemas import MarketCode


class EarningTotalsRead(BaseModel):
    currency: str
    pending: MoneyRead
    settled: MoneyRead = Field(description="Settled and not paid out: available to withdraw")
    reversed: MoneyRead
    paid_out: MoneyRead


class EarningLineRead(BaseModel):
    commission_id: int = Field(description="Unique within the market's cell: pay it out there")
    market: str
    order_id: int
    order_line_id: int
    product_id: int
    title: str
    paid: MoneyRead = Field(description="What the shopper paid for the line")
    rate_bp: int
    commission: MoneyRead
    reversed: MoneyRead
    net: MoneyRead
    status: str = Field(description="pending | settled | reversed | paid_out")
    accrued_at: datetime
    settle_after: datetime | None
    settled_at: datetime | None


class EarningsRead(BaseModel):
    totals: list[EarningTotalsRead]
    lines: list[EarningLineRead] = Field(description="Newest first")
    more: bool = Field(description="Older lines exist beyond those listed")


class PayoutIn(BaseModel):
    commission_ids: list[BigId] = Field(max_length=1000, description="Settled lines to pay out")
    market: MarketCode | None = Field(
        default=None,
        description="Market of the lines (commission ids are per market); yours by default",
    )


class PayoutRead(BaseModel):
    id: int
    market: str
    amount: MoneyRead
    lines: int
    created_at: datetime


class CreatorPerformanceRead(BaseModel):
    creator_id: int
    handle: str
    display_name: str
    gmv: MoneyRead = Field(description="What shoppers paid for the creator's lines")
    orders: int
    lines: int
    commission: MoneyRead = Field(description="Earned, less what refunds took back")
    return_rate_percent: float = Field(description="Lines refunded, returned or cancelled")


class ShopPerformanceRead(BaseModel):
    creators: list[CreatorPerformanceRead]
    receivable: list[MoneyRead] = Field(description="What the platform owes the shop")


def _totals_read(t: Totals, locale: str) -> EarningTotalsRead:
    return EarningTotalsRead(
        currency=t.currency,
        pending=money_read(t.pending_minor, t.currency, locale),
        settled=money_read(t.settled_minor, t.currency, locale),
        reversed=money_read(t.reversed_minor, t.currency, locale),
        paid_out=money_read(t.paid_out_minor, t.currency, locale),
    )


def _line_read(line: EarningLine, locale: str) -> EarningLineRead:
    def money(amount: int) -> MoneyRead:
        return money_read(amount, line.currency, locale)

    return EarningLineRead(
        commission_id=line.commission_id,
        market=line.market,
        order_id=line.order_id,
        order_line_id=line.order_line_id,
        product_id=line.product_id,
        title=line.title,
        paid=money(line.paid_minor),
        rate_bp=line.rate_bp,
        commission=money(line.commission_minor),
        reversed=money(line.reversed_minor),
        net=money(line.net_minor),
        status=line.status,
        accrued_at=line.accrued_at,
        settle_after=line.settle_after,
        settled_at=line.settled_at,
    )


def earnings_read(earnings: CreatorEarnings, locale: str) -> EarningsRead:
    return EarningsRead(
        totals=[_totals_read(t, locale) for t in earnings.totals],
        lines=[_line_read(line, locale) for line in earnings.lines],
        more=earnings.more,
    )


def payout_read(payout: Payout, market: str, locale: str) -> PayoutRead:
    return PayoutRead(
        id=payout.id,
        market=market,
        amount=money_read(payout.amount_minor, payout.currency, locale),
        lines=payout.lines,
        created_at=payout.created_at,
    )


def _performance_read(row: CreatorPerformance, locale: str) -> CreatorPerformanceRead:
    return CreatorPerformanceRead(
        creator_id=row.creator_id,
        handle=row.handle,
        display_name=row.display_name,
        gmv=money_read(row.gmv_minor, row.currency, locale),
        orders=row.orders,
        lines=row.lines,
        commission=money_read(row.commission_minor, row.currency, locale),
        return_rate_percent=row.return_rate_percent,
    )


def shop_performance_read(performance: ShopPerformance, locale: str) -> ShopPerformanceRead:
    return ShopPerformanceRead(
        creators=[_performance_read(row, locale) for row in performance.creators],
        receivable=[
            money_read(amount, currency, locale)
            for currency, amount in performance.receivable.items()
        ],
    )
