"""Commissions (market cell): what a paid order line earns its creator, and the books.

Every paid order line is posted to the ledger as one transaction, `paid:line:<id>`:

    cash +paid = merchant:<shop> (paid - fee - commission) + platform_fee (fee)
                 + creator:<id>:pending (commission)

(debits positive, credits negative). A line that no creator led to posts a commission of 0,
so a merchant's statement is the sum of its lines either way.

The rounding rule, the only one (affiliate.rates): a share of an amount is rounded half up
to the minor unit, in integers: `share(amount, bp) = (amount * bp + 5000) // 10000`. The
platform fee is `share(paid, market.platform_fee_bp)`, the commission `share(paid, rate_bp)`.

Refunds take back proportionally, and cumulatively: after refunds that add up to R of a
line that paid P, what is taken back of an amount A is `proportional(A, R, P)` (A * R / P
rounded half up), and each refund takes the difference with what was taken back before.
So a series of partial refunds that adds up to the whole line takes back exactly the whole
commission and the whole fee, whatever the rounding of each step. Each refund posts
`refund:<refund id>`: cash -refund, platform_fee +fee part, creator pending +commission
part, merchant the rest. A commission settled (or paid out) before the refund stays the
creator's: its part is 0 and the merchant bears the refund. A cancelled order
(`cancel:line:<id>`) takes back everything left on each line, the same way.

A line earns a commission when the creator's touch stamped on it credits them at payment
(creators.service.credits: within the market's attribution window, an open account, not the
creator's own purchase) and the product has a rate for the creator at payment
(plans.service.rate_for). The commission is pending until the return window after delivery has
passed (settlement); delivery sets `settle_after`.

Functions here take the cell's session (and a global reader); flows.py opens them for the
event handlers. Handlers may run in any order and more than once: each transaction name is
posted once, and a refund, cancellation or delivery first books the payment if OrderPaid
has not yet.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide import events
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.plans import service as plans
from shoptide.affiliate.rates import proportional, share
from shoptide.creators import service as creators
from shoptide.db import rows_updated
from shoptide.errors import InvalidTransition, NotFound
from shoptide.ledger import service as ledger
from shoptide.ledger.service import CASH, PLATFORM_FEE, Posting, Transaction
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market
from shoptide.orders.models import Order, OrderLine


def paid_txn(order_line_id: int) -> str:
    return f"paid:line:{order_line_id}"


# --- accrual ---------------------------------------------------------------------------------


def _paid_at(order: Order) -> datetime:
    paid_at = next((change.at for change in order.history if change.to_status == "paid"), None)
    if paid_at is None:
        raise InvalidTransition(f"Order #{order.id} was never paid: it earns no commission.")
    return paid_at


async def _rate(
    global_: AsyncSession,
    order: Order,
    line: OrderLine,
    *,
    paid_at: datetime,
    market: Market,
    creator_emails: dict[int, str],
    shopper_email: str | None,
) -> plans.Rate | None:
    """The rate the line's creator earns on it, or None when the line earns nothing."""
    if line.creator_id is None or not creators.credits(
        creator_id=line.creator_id,
        touched_at=line.creator_touched_at,
        paid_at=paid_at,
        market=market,
        creator_emails=creator_emails,
        shopper_email=shopper_email,
    ):
        return None
    return await plans.rate_for(
        global_,
        creator_id=line.creator_id,
        shop_id=order.shop_id,
        product_id=line.product_id,
        at=paid_at,
    )


async def _earn(
    session: AsyncSession, order: Order, line: OrderLine, rate: plans.Rate, paid_at: datetime
) -> Commission:
    assert line.creator_id is not None  # a rate is only found for a creator's line
    commission = Commission(
        order_id=order.id,
        order_line_id=line.id,
        creator_id=line.creator_id,
        shop_id=order.shop_id,
        product_id=line.product_id,
        market_code=order.market_code,
        currency=order.currency,
        source_kind=line.creator_source,
        source_id=line.creator_source_id,
        base_minor=line.line_total_minor,
        rate_bp=rate.rate_bp,
        invitation_id=rate.invitation_id,
        amount_minor=share(line.line_total_minor, rate.rate_bp),
        status="pending",
        accrued_at=paid_at,
    )
    session.add(commission)
    await session.flush()
    events.record(
        session,
        events.CommissionAccrued(
            commission_id=commission.id,
            market=commission.market_code,
            creator_id=commission.creator_id,
            shop_id=commission.shop_id,
            order_id=commission.order_id,
            order_line_id=commission.order_line_id,
            amount_minor=commission.amount_minor,
            currency=commission.currency,
        ),
    )
    return commission


def _paid_transaction(
    order: Order, line: OrderLine, *, fee: int, commission: Commission | None
) -> Transaction:
    paid = line.line_total_minor
    earned = commission.amount_minor if commission else 0
    postings = [
        Posting(CASH, paid),
        Posting(ledger.merchant(order.shop_id), -(paid - fee - earned)),
        Posting(PLATFORM_FEE, -fee),
    ]
    if commission is not None:
        postings.append(Posting(ledger.creator_pending(commission.creator_id), -earned))
    return Transaction(paid_txn(line.id), order.currency, postings, order_line_id=line.id)


async def accrue(session: AsyncSession, global_: AsyncSession, order: Order) -> int:
    """Book the payment of each line not booked yet, with its commission if it earns one;
    returns how many commissions were written."""
    lines = [line for line in order.lines if not await ledger.is_posted(session, paid_txn(line.id))]
    if not lines:
        return 0
    paid_at = _paid_at(order)
    market = await markets_service.get(global_, order.market_code)
    led = {line.creator_id for line in lines if line.creator_id is not None}
    creator_emails = await creators.creator_emails(global_, led) if led else {}
    shopper_email = await creators.account_email(session, order.shopper_id) if led else None
    written = 0
    for line in lines:
        rate = await _rate(
            global_,
            order,
            line,
            paid_at=paid_at,
            market=market,
            creator_emails=creator_emails,
            shopper_email=shopper_email,
        )
        commission = await _earn(session, order, line, rate, paid_at) if rate else None
        written += commission is not None
        fee = share(line.line_total_minor, market.platform_fee_bp)
        transaction = _paid_transaction(order, line, fee=fee, commission=commission)
        await ledger.post(session, transaction, at=paid_at)
    return written


# --- reversal --------------------------------------------------------------------------------


async def _locked_commission(session: AsyncSession, order_line_id: int) -> Commission | None:
    """The line's commission, locked against a concurrent settlement until we commit."""
    return await session.scalar(
        select(Commission).where(Commission.order_line_id == order_line_id).with_for_update()
    )


def _take_back(session: AsyncSession, commission: Commission, amount: int, reason: str) -> int:
    """Count `amount` refunded on the commission's line; a pending commission gives back
    its cumulative proportional part, which is returned (0 once settled or paid out)."""
    commission.refunded_minor += amount
    if commission.status != "pending":
        return 0
    reversed_after = proportional(
        commission.amount_minor, commission.refunded_minor, commission.base_minor
    )
    part = reversed_after - commission.reversed_minor
    commission.reversed_minor = reversed_after
    if commission.refunded_minor == commission.base_minor:
        commission.status = "reversed"
    if part:
        events.record(
            session,
            events.CommissionReversed(
                commission_id=commission.id,
                market=commission.market_code,
                creator_id=commission.creator_id,
                amount_minor=part,
                currency=commission.currency,
                reason=reason,
            ),
        )
    return part


async def _reverse(
    session: AsyncSession,
    order: Order,
    line: OrderLine,
    *,
    txn: str,
    before: int,
    amount: int,
    reason: str,
) -> None:
    """Give back `amount` of the line, of which `before` was given back earlier: the fee
    and a pending commission give back their part, the merchant the rest."""
    if await ledger.is_posted(session, txn):
        return
    paid = line.line_total_minor
    if amount <= 0 or before + amount > paid:
        raise ValueError(f"{txn}: {amount} more refunded of line {line.id} is over its {paid}")
    fee = -(await ledger.postings(session, paid_txn(line.id))).get(PLATFORM_FEE, 0)
    fee_part = proportional(fee, before + amount, paid) - proportional(fee, before, paid)
    postings = [Posting(CASH, -amount), Posting(PLATFORM_FEE, fee_part)]
    taken = 0
    commission = await _locked_commission(session, line.id)
    if commission is not None:
        taken = _take_back(session, commission, amount, reason)
        postings.append(Posting(ledger.creator_pending(commission.creator_id), taken))
    postings.append(Posting(ledger.merchant(order.shop_id), amount - fee_part - taken))
    await ledger.post(session, Transaction(txn, order.currency, postings, order_line_id=line.id))


def _line(order: Order, order_line_id: int) -> OrderLine:
    line = next((line for line in order.lines if line.id == order_line_id), None)
    if line is None:
        raise NotFound(f"Order #{order.id} has no line {order_line_id}.")
    return line


async def reverse_refund(
    session: AsyncSession,
    global_: AsyncSession,
    order: Order,
    *,
    order_line_id: int,
    refund_id: int,
    amount_minor: int,
    reason: str,
) -> None:
    """OrderLineRefunded: post `refund:<refund id>` and take back the pending commission's
    proportional part. What was refunded before counts the line's earlier refunds."""
    await accrue(session, global_, order)
    line = _line(order, order_line_id)
    before = sum(r.amount_minor for r in line.refunds if r.id < refund_id)
    await _reverse(
        session,
        order,
        line,
        txn=f"refund:{refund_id}",
        before=before,
        amount=amount_minor,
        reason=reason,
    )


async def reverse_cancellation(session: AsyncSession, global_: AsyncSession, order: Order) -> None:
    """OrderCancelled (the whole order refunded): every line gives back what is left on it,
    and its pending commission is reversed in full."""
    await accrue(session, global_, order)
    for line in order.lines:
        before = sum(r.amount_minor for r in line.refunds)
        if before < line.line_total_minor:
            await _reverse(
                session,
                order,
                line,
                txn=f"cancel:line:{line.id}",
                before=before,
                amount=line.line_total_minor - before,
                reason="cancelled",
            )


# --- delivery --------------------------------------------------------------------------------


async def start_return_window(
    session: AsyncSession, global_: AsyncSession, order: Order, *, delivered_at: datetime
) -> int:
    """OrderDelivered: the order's pending commissions settle after the market's return
    window; returns how many commissions got a settlement time."""
    await accrue(session, global_, order)
    market = await markets_service.get(global_, order.market_code)
    return await rows_updated(
        session,
        update(Commission)
        .where(Commission.order_id == order.id, Commission.status == "pending")
        .values(settle_after=delivered_at + timedelta(days=market.return_window_days)),
    )
