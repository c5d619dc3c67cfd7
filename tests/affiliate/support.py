"""Affiliate test helpers: creators, plans, invitations, orders paid with a creator's touch
stamped on their lines, refunds and deliveries, and the affiliate handlers to deliver the
events to."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from shoptide import events
from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.affiliate.commissions import handlers as affiliate_handlers
from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.plans.models import SHOP_WIDE, Invitation, InvitationProduct, OpenPlan
from shoptide.checkout.models import Checkout
from shoptide.creators import service as creators
from shoptide.db import Base, Databases, utcnow
from shoptide.events import Dispatcher, HandlerRegistry, OutboxEvent
from shoptide.ledger.models import LedgerEntry
from shoptide.orders import service as orders_service
from shoptide.orders.models import Order, OrderLineRefund, ShippingAddress
from shoptide.settings import GLOBAL_CELL
from tests import factories

_seq = itertools.count(1)
ADDRESS = ShippingAddress("Ada Shopper", "1 Main Street", "", "Springfield", "12345", "US", "")


@dataclass
class CreatorRef:
    id: int
    user_id: int
    handle: str
    email: str


async def creator(databases: Databases, *, email: str | None = None) -> CreatorRef:
    """A creator: a global account with role "creator" and its public profile."""
    n = next(_seq)
    email = email or f"creator{n}@example.com"
    async with databases.session(GLOBAL_CELL) as session:
        user = await accounts_service.create(
            session,
            email=email,
            password=factories.PASSWORD,
            display_name=f"Creator {n}",
            role="creator",
            passwords=Passwords(databases.settings),
        )
        profile = await creators.create(
            session,
            user_id=user.id,
            handle=f"creator_{n}",
            display_name=f"Creator {n}",
            market_code="US",
        )
    return CreatorRef(profile.id, user.id, profile.handle, email)


async def open_plan(
    databases: Databases, *, shop_id: int, rate_bp: int, product_id: int = SHOP_WIDE
) -> None:
    """An open plan on one product (or, by default, on every product of the shop)."""
    async with databases.session(GLOBAL_CELL) as session:
        session.add(OpenPlan(shop_id=shop_id, product_id=product_id, rate_bp=rate_bp))


async def invitation(
    databases: Databases,
    *,
    shop_id: int,
    creator_id: int,
    product_ids: list[int],
    rate_bp: int,
    status: str = "accepted",
    expires_at: datetime | None = None,
) -> int:
    async with databases.session(GLOBAL_CELL) as session:
        invited = Invitation(
            shop_id=shop_id,
            creator_id=creator_id,
            rate_bp=rate_bp,
            status=status,
            expires_at=expires_at or utcnow() + timedelta(days=30),
            products=[InvitationProduct(product_id=p) for p in product_ids],
        )
        session.add(invited)
        await session.flush()
        return invited.id


@dataclass(frozen=True)
class Line:
    """An order line to buy: its product and price, and the creator touch stamped on it."""

    product_id: int
    price_minor: int
    quantity: int = 1
    creator_id: int | None = None
    touched_ago: timedelta = timedelta(hours=1)  # how long before payment
    source: str = "video"


async def paid_order(
    databases: Databases,
    shopper: factories.Account,
    *,
    shop_id: int,
    lines: list[Line],
    market: str = "US",
) -> Order:
    """An order placed and paid now, as checkout leaves it: OrderPaid is in the outbox."""
    currency = factories.CURRENCY[market]
    now = utcnow()
    drafts = [
        orders_service.LineDraft(
            product_id=line.product_id,
            variant_id=line.product_id,
            sku=f"SKU-{line.product_id}",
            title=f"Product {line.product_id}",
            variant_label="M",
            unit_price_minor=line.price_minor,
            quantity=line.quantity,
            creator_id=line.creator_id,
            creator_touched_at=now - line.touched_ago if line.creator_id else None,
            creator_source=line.source if line.creator_id else "",
            creator_source_id=7 if line.creator_id else None,
        )
        for line in lines
    ]
    async with databases.session(shopper.cell) as session:
        checkout = Checkout(
            shopper_id=shopper.id,
            idempotency_key=f"key-{next(_seq)}",
            market_code=market,
            currency=currency,
            total_minor=sum(d.unit_price_minor * d.quantity for d in drafts),
            status="paid",
        )
        session.add(checkout)
        await session.flush()
        order = await orders_service.create(
            session,
            checkout_id=checkout.id,
            shopper_id=shopper.id,
            shop_id=shop_id,
            market=market,
            currency=currency,
            tax_rate_bp=0,
            lines=drafts,
            address=ADDRESS,
        )
        await orders_service.mark_paid(session, [order], note="Paid by card")
    return order


async def refund_line(
    databases: Databases,
    cell: str,
    *,
    order_id: int,
    line_id: int,
    amount_minor: int,
    reason: str = "refund",
) -> int:
    """Money given back on a line as the orders domain records it: the refund row, the
    line's refunded total and OrderLineRefunded. Returns the refund's id."""
    async with databases.session(cell) as session:
        order = await orders_service.get(session, order_id)
        line = next(line for line in order.lines if line.id == line_id)
        refund = OrderLineRefund(
            order_id=order_id, order_line_id=line_id, amount_minor=amount_minor, reason=reason
        )
        line.refunds.append(refund)
        line.refunded_minor += amount_minor
        await session.flush()
        events.record(
            session,
            events.OrderLineRefunded(
                order_id=order_id,
                shop_id=order.shop_id,
                market=order.market_code,
                checkout_id=order.checkout_id,
                order_line_id=line_id,
                refund_id=refund.id,
                amount_minor=amount_minor,
                currency=order.currency,
                reason=reason,
            ),
        )
        return refund.id


async def cancel(databases: Databases, cell: str, *, order_id: int) -> None:
    async with databases.session(cell) as session:
        order = await orders_service.get(session, order_id)
        await orders_service.cancel(session, order, reason="Out of stock")


async def deliver(databases: Databases, cell: str, *, order_id: int, at: datetime) -> None:
    """The parcel arrived at `at`: the order says so and OrderDelivered is in the outbox."""
    async with databases.session(cell) as session:
        order = await orders_service.get(session, order_id)
        order.status, order.delivered_at = "delivered", at
        events.record(
            session,
            events.OrderDelivered(
                order_id=order_id,
                shop_id=order.shop_id,
                market=order.market_code,
                delivered_at=at.isoformat(),
            ),
        )


def affiliate_dispatcher(databases: Databases) -> Dispatcher:
    """A dispatcher with only the affiliate handlers: the events of these tests reach them
    and nothing else (no gateway refunds, no feed)."""
    registry = HandlerRegistry()
    affiliate_handlers.register(registry, databases)
    return Dispatcher(databases, registry)


async def count(databases: Databases, model: type[Base]) -> int:
    """How many rows of the model the global cell holds."""
    async with databases.session(GLOBAL_CELL, write=False) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def commissions(databases: Databases, cell: str = "main") -> list[Commission]:
    async with databases.session(cell, write=False) as session:
        return list(await session.scalars(select(Commission).order_by(Commission.id)))


async def balances(databases: Databases, cell: str = "main") -> dict[str, int]:
    """Every account's balance in the cell (one currency per cell in these tests)."""
    async with databases.session(cell, write=False) as session:
        rows = await session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor)).group_by(
                LedgerEntry.account
            )
        )
        return {account: int(total) for account, total in rows}


async def line_entries(databases: Databases, line_id: int, cell: str = "main") -> dict[str, int]:
    """What the line's transactions put on each account, in total."""
    async with databases.session(cell, write=False) as session:
        rows = await session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.order_line_id == line_id)
            .group_by(LedgerEntry.account)
        )
        return {account: int(total) for account, total in rows}


async def outbox(databases: Databases, cell: str = "main", *, type_: str) -> list[dict]:
    async with databases.session(cell, write=False) as session:
        rows = await session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        )
        return list(rows)
