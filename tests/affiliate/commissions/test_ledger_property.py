"""Property: whatever mix of orders, creators, rates, refunds, cancellations and settlements,
the books balance, every line's money is accounted for, and commissions follow the rules."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from shoptide.affiliate.commissions.models import Commission
from shoptide.affiliate.rates import proportional, share
from shoptide.ledger.models import LedgerEntry
from shoptide.ledger.service import CASH, PLATFORM_FEE, creator_pending
from shoptide.orders.models import Order, OrderLine
from tests import factories
from tests.affiliate import support

# minor units: cents of a dollar; whole rupiah (IDR has no minor unit here)
PRICES = {"US": (1, 50_000), "ID": (500, 5_000_000)}
CELLS = {"US": "main", "ID": "sea"}
rates_bp = st.integers(100, 8000)


@dataclass(frozen=True)
class LinePlan:
    price: int
    quantity: int
    open_bp: int | None  # the product's open plan, if any
    invited_bp: int | None  # creator 0's accepted invitation on the product, if any
    creator: int | None  # index of the creator whose touch is stamped on the line
    stale: bool  # the touch is older than the attribution window


@dataclass(frozen=True)
class OrderPlan:
    market: str
    lines: list[LinePlan]
    self_purchase: bool  # bought by creator 0 themself
    cancel: bool
    refunds: list[tuple[int, int]]  # (line index, permille of what is left on the line)
    settle_after: int | None  # commissions settle after this many refunds


@st.composite
def order_plans(draw: st.DrawFn) -> OrderPlan:
    market = draw(st.sampled_from(sorted(PRICES)))
    low, high = PRICES[market]
    lines = draw(
        st.lists(
            st.builds(
                LinePlan,
                price=st.integers(low, high),
                quantity=st.integers(1, 3),
                open_bp=st.none() | rates_bp,
                invited_bp=st.none() | rates_bp,
                creator=st.none() | st.sampled_from([0, 1]),
                stale=st.sampled_from([False, False, False, True]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    cancel = draw(st.sampled_from([False, False, True]))
    refunds = (
        []
        if cancel
        else draw(
            st.lists(st.tuples(st.integers(0, len(lines) - 1), st.integers(1, 1000)), max_size=4)
        )
    )
    settle_after = None if cancel else draw(st.none() | st.integers(0, len(refunds)))
    return OrderPlan(market, lines, draw(st.booleans()), cancel, refunds, settle_after)


@dataclass
class Expected:
    """What the test knows of a line: paid, refunded, and refunded while pending."""

    plan: LinePlan
    order: OrderPlan
    paid: int
    refunded: int = 0
    refunded_pending: int = 0
    settled: bool = False


@dataclass
class World:
    shop_id: int
    creators: list[support.CreatorRef]
    shoppers: dict[tuple[str, bool], factories.Account]  # (market, self-purchase)
    lines: dict[tuple[str, int], Expected] = field(default_factory=dict)  # (cell, line id)


async def _world(databases) -> World:
    """A new shop, two creators and shoppers: examples share the database, so each checks
    its own lines (and the whole books, which balance whatever came before)."""
    shop = await factories.merchant(databases)
    creators = [await support.creator(databases), await support.creator(databases)]
    shoppers = {
        (market, own): await factories.shopper(
            databases, market, email=creators[0].email if own else None
        )
        for market in PRICES
        for own in (False, True)
    }
    return World(shop.shop_id, creators, shoppers)


async def _place(databases, world: World, plan: OrderPlan, first_product: int) -> list[int]:
    lines = []
    for n, line in enumerate(plan.lines):
        product_id = first_product + n
        if line.open_bp is not None:
            await support.open_plan(
                databases, shop_id=world.shop_id, product_id=product_id, rate_bp=line.open_bp
            )
        if line.invited_bp is not None:
            await support.invitation(
                databases,
                shop_id=world.shop_id,
                creator_id=world.creators[0].id,
                product_ids=[product_id],
                rate_bp=line.invited_bp,
            )
        creator_id = None if line.creator is None else world.creators[line.creator].id
        touched_ago = timedelta(days=8) if line.stale else timedelta(hours=2)
        lines.append(support.Line(product_id, line.price, line.quantity, creator_id, touched_ago))
    order = await support.paid_order(
        databases,
        world.shoppers[plan.market, plan.self_purchase],
        shop_id=world.shop_id,
        lines=lines,
        market=plan.market,
    )
    cell = CELLS[plan.market]
    for line, order_line in zip(plan.lines, order.lines, strict=True):
        world.lines[cell, order_line.id] = Expected(line, plan, order_line.line_total_minor)
    return [order.id, *(line.id for line in order.lines)]


async def _settle(databases, world: World, cell: str, order_id: int, line_ids: list[int]) -> None:
    """What the settlement job does to the commission's status (its books are A2's), once
    the refunds before it are handled."""
    await support.affiliate_dispatcher(databases).run_once()
    async with databases.session(cell) as session:
        await session.execute(
            update(Commission)
            .where(Commission.order_id == order_id, Commission.status == "pending")
            .values(status="settled")
        )
    for line_id in line_ids:
        world.lines[cell, line_id].settled = True


async def _play(databases, world: World, plan: OrderPlan, ids: list[int]) -> None:
    """Cancel the order, or refund parts of its lines; commissions settle at their point.
    The handlers run in the events' order: before a settlement, and at the end (the test)."""
    cell, (order_id, *line_ids) = CELLS[plan.market], ids
    if plan.cancel:
        await support.cancel(databases, cell, order_id=order_id)
        for line_id in line_ids:
            expected = world.lines[cell, line_id]
            expected.refunded = expected.refunded_pending = expected.paid
        return
    for n, (index, permille) in enumerate(plan.refunds):
        if n == plan.settle_after:
            await _settle(databases, world, cell, order_id, line_ids)
        expected = world.lines[cell, line_ids[index]]
        left = expected.paid - expected.refunded
        if left == 0:
            continue
        amount = max(1, left * permille // 1000)
        await support.refund_line(
            databases, cell, order_id=order_id, line_id=line_ids[index], amount_minor=amount
        )
        expected.refunded += amount
        if not expected.settled:
            expected.refunded_pending += amount
    if plan.settle_after == len(plan.refunds):
        await _settle(databases, world, cell, order_id, line_ids)


def _earns(expected: Expected) -> int | None:
    """The rate the line should earn, None when it earns nothing."""
    line = expected.plan
    if line.creator is None or line.stale or (line.creator == 0 and expected.order.self_purchase):
        return None
    offered = [line.open_bp, line.invited_bp if line.creator == 0 else None]
    return max((bp for bp in offered if bp is not None), default=None)


async def _books(databases) -> list[tuple[str, LedgerEntry]]:
    found = []
    for cell in ("main", "sea"):
        async with databases.session(cell, write=False) as session:
            found += [(cell, entry) for entry in await session.scalars(select(LedgerEntry))]
    return found


async def _kept(databases) -> dict[str, int]:
    """What shoppers paid and were not given back, by cell, as the orders tell it."""
    kept = {}
    left = func.sum(OrderLine.line_total_minor - OrderLine.refunded_minor)
    for cell in ("main", "sea"):
        async with databases.session(cell, write=False) as session:
            kept[cell] = await session.scalar(
                select(func.coalesce(left, 0))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status != "cancelled")
            )
    return kept


async def _commissions(databases) -> dict[tuple[str, int], Commission]:
    return {
        (cell, c.order_line_id): c
        for cell in ("main", "sea")
        for c in await support.commissions(databases, cell)
    }


Accounts = dict[str, int]


def _check_books(
    world: World, books: list[tuple[str, LedgerEntry]], kept: dict[str, int]
) -> dict[tuple[str, int], Accounts]:
    """The books balance and hold what is left of every line; returns each line's accounts."""
    by_txn: dict[tuple[str, str], int] = defaultdict(int)
    currencies: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_currency: dict[str, int] = defaultdict(int)
    by_line: dict[tuple[str, int], Accounts] = defaultdict(lambda: defaultdict(int))
    by_account: dict[tuple[str, str], int] = defaultdict(int)
    for cell, entry in books:
        by_txn[cell, entry.txn] += entry.amount_minor
        currencies[cell, entry.txn].add(entry.currency)
        by_currency[entry.currency] += entry.amount_minor
        by_account[entry.currency, entry.account] += entry.amount_minor
        assert entry.order_line_id is not None
        by_line[cell, entry.order_line_id][entry.account] += entry.amount_minor

    assert set(by_txn.values()) <= {0}, "every transaction balances"
    assert all(len(c) == 1 for c in currencies.values()), "one currency per transaction"
    assert set(by_currency.values()) <= {0}, "the books of each currency balance"
    for key, expected in world.lines.items():
        accounts = by_line[key]
        left = expected.paid - expected.refunded
        assert accounts[CASH] == left
        assert -sum(v for account, v in accounts.items() if account != CASH) == left
        fee = share(expected.paid, 500)  # the markets' default platform fee
        fee_given_back = proportional(fee, expected.refunded, expected.paid)
        assert accounts[PLATFORM_FEE] == -(fee - fee_given_back)
    for currency, cell in (("USD", "main"), ("IDR", "sea")):
        assert by_account[currency, CASH] == kept[cell], "cash is what shoppers paid, less refunds"
    for (_, account), balance in by_account.items():
        if account.startswith("creator:"):
            assert balance <= 0, f"{account} owes the platform {balance}"
    return by_line


def _check_commissions(
    world: World,
    found: dict[tuple[str, int], Commission],
    by_line: dict[tuple[str, int], Accounts],
) -> None:
    """Lines earn by the rules; refunds take back proportionally while pending."""
    for key, expected in world.lines.items():
        rate_bp = _earns(expected)
        commission = found.get(key)
        owed = {a: v for a, v in by_line[key].items() if a.startswith("creator:") and v}
        if rate_bp is None:
            assert commission is None
            assert owed == {}
            continue
        assert commission is not None
        assert (commission.rate_bp, commission.base_minor) == (rate_bp, expected.paid)
        assert commission.amount_minor == share(expected.paid, rate_bp)
        assert 0 <= commission.reversed_minor <= commission.amount_minor
        assert commission.reversed_minor == proportional(
            commission.amount_minor, expected.refunded_pending, expected.paid
        )
        assert commission.refunded_minor == expected.refunded
        fully = expected.refunded_pending == expected.paid
        assert (commission.status == "reversed") == fully
        left = commission.amount_minor - commission.reversed_minor
        assert owed == ({creator_pending(commission.creator_id): -left} if left else {})


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plans=st.lists(order_plans(), min_size=1, max_size=3))
async def test_the_books_balance_and_every_line_is_accounted_for(databases, plans):
    world = await _world(databases)
    placed = [await _place(databases, world, plan, 100 * (n + 1)) for n, plan in enumerate(plans)]
    await support.affiliate_dispatcher(databases).run_once()
    for plan, ids in zip(plans, placed, strict=True):
        await _play(databases, world, plan, ids)
    await support.affiliate_dispatcher(databases).run_once()

    by_line = _check_books(world, await _books(databases), await _kept(databases))
    _check_commissions(world, await _commissions(databases), by_line)
