"""Commissions: accrued when an order is paid, taken back by refunds and cancellations,
given their return window on delivery; every paid line on the books."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from shoptide.affiliate import rates
from shoptide.affiliate.commissions import flows as commissions
from shoptide.affiliate.commissions.models import Commission
from shoptide.events import Delivery
from shoptide.ledger.service import CASH, PLATFORM_FEE, creator_pending, merchant
from tests import factories
from tests.affiliate import support
from tests.affiliate.support import Line


@dataclass
class World:
    shop: factories.Merchant
    product_id: int
    creator: support.CreatorRef
    shopper: factories.Account


@pytest.fixture
async def world(databases) -> World:
    """A shop whose product has an open plan of 12.5%, a creator, and a shopper."""
    shop = await factories.merchant(databases)
    product = await factories.product(databases, shop, prices={"US": 1999})
    await support.open_plan(databases, shop_id=shop.shop_id, product_id=product.id, rate_bp=1250)
    creator = await support.creator(databases)
    return World(shop, product.id, creator, await factories.shopper(databases))


async def _paid(databases, world: World, *lines: Line):
    order = await support.paid_order(
        databases, world.shopper, shop_id=world.shop.shop_id, lines=list(lines)
    )
    await support.affiliate_dispatcher(databases).run_once()
    return order


def _line(world: World, price: int, **kwargs) -> Line:
    return Line(world.product_id, price, creator_id=world.creator.id, **kwargs)


def test_a_share_is_rounded_half_up_to_the_minor_unit():
    assert rates.share(1999, 1250) == 250  # 249.875
    assert rates.share(1990, 1250) == 249  # 248.75
    assert rates.share(2, 2500) == 1  # 0.5 rounds up
    assert rates.share(1, 4999) == 0  # 0.4999 rounds down
    assert rates.proportional(250, 666, 1999) == 83  # 83.29
    assert rates.proportional(3, 1, 2) == 2  # 1.5 rounds up


async def test_a_line_bought_through_a_creators_video_earns_the_plans_share(databases, world):
    order = await _paid(databases, world, _line(world, 1999), _line(world, 995, quantity=2))

    earned = await support.commissions(databases)
    seen = [(c.order_line_id, c.base_minor, c.rate_bp, c.amount_minor, c.status) for c in earned]
    assert seen == [
        (order.lines[0].id, 1999, 1250, 250, "pending"),
        (order.lines[1].id, 1990, 1250, 249, "pending"),  # 248.75 rounds up
    ]
    assert (earned[0].creator_id, earned[0].source_kind, earned[0].invitation_id) == (
        world.creator.id,
        "video",
        None,
    )
    assert await support.line_entries(databases, order.lines[0].id) == {
        CASH: 1999,
        PLATFORM_FEE: -100,  # 5% of 1999 = 99.95
        creator_pending(world.creator.id): -250,
        merchant(world.shop.shop_id): -1649,
    }
    accrued = await support.outbox(databases, type_="CommissionAccrued")
    assert [(e["order_line_id"], e["amount_minor"], e["currency"]) for e in accrued] == [
        (order.lines[0].id, 250, "USD"),
        (order.lines[1].id, 249, "USD"),
    ]


async def test_an_accepted_invitations_higher_rate_wins_over_the_open_plan(databases, world):
    invited = await support.invitation(
        databases,
        shop_id=world.shop.shop_id,
        creator_id=world.creator.id,
        product_ids=[world.product_id],
        rate_bp=2000,
    )

    await _paid(databases, world, _line(world, 1999))

    [earned] = await support.commissions(databases)
    assert (earned.rate_bp, earned.amount_minor, earned.invitation_id) == (2000, 400, invited)


async def test_a_product_without_a_plan_earns_nothing_but_its_sale_is_on_the_books(
    databases, world
):
    order = await _paid(databases, world, Line(999, 1000, creator_id=world.creator.id))

    assert await support.commissions(databases) == []
    assert await support.line_entries(databases, order.lines[0].id) == {
        CASH: 1000,
        PLATFORM_FEE: -50,
        merchant(world.shop.shop_id): -950,
    }


async def test_a_touch_older_than_the_attribution_window_earns_nothing(databases, world):
    order = await _paid(
        databases,
        world,
        _line(world, 1000, touched_ago=timedelta(days=7, minutes=1)),
        _line(world, 1000, touched_ago=timedelta(days=6, hours=23)),
    )

    assert [c.order_line_id for c in await support.commissions(databases)] == [order.lines[1].id]


async def test_a_creator_buying_through_their_own_video_earns_nothing(databases, world):
    world.shopper = await factories.shopper(databases, email=world.creator.email.upper())

    order = await _paid(databases, world, _line(world, 1999))

    assert await support.commissions(databases) == []
    assert creator_pending(world.creator.id) not in await support.line_entries(
        databases, order.lines[0].id
    )


async def test_order_paid_delivered_again_writes_nothing_twice(databases, world):
    order = await _paid(databases, world, _line(world, 1999), Line(999, 500))
    first = (await support.commissions(databases), await support.balances(databases))
    handler = support.affiliate_dispatcher(databases).registry.for_type("OrderPaid")
    redelivery = Delivery(1, "OrderPaid", {"order_id": order.id}, "main")

    await handler["affiliate.accrue_commissions"](redelivery)
    await handler["affiliate.accrue_commissions"](redelivery)

    assert len(await support.commissions(databases)) == len(first[0]) == 1
    assert await support.balances(databases) == first[1]
    assert len(await support.outbox(databases, type_="CommissionAccrued")) == 1


async def test_partial_refunds_reverse_proportionally_and_add_up_to_the_whole(databases, world):
    order = await _paid(databases, world, _line(world, 1999))
    line_id = order.lines[0].id

    await support.refund_line(
        databases, "main", order_id=order.id, line_id=line_id, amount_minor=666
    )
    await support.affiliate_dispatcher(databases).run_once()
    [after_third] = await support.commissions(databases)
    third = await support.line_entries(databases, line_id)

    await support.refund_line(
        databases, "main", order_id=order.id, line_id=line_id, amount_minor=1333, reason="return"
    )
    await support.affiliate_dispatcher(databases).run_once()
    [after_all] = await support.commissions(databases)

    # 666 of 1999 takes back 250 * 666 / 1999 = 83.29 -> 83 and 100 * 666 / 1999 -> 33 of fee
    assert (after_third.reversed_minor, after_third.refunded_minor, after_third.status) == (
        83,
        666,
        "pending",
    )
    assert third[creator_pending(world.creator.id)] == -167
    assert third[PLATFORM_FEE] == -67
    # the rest takes back exactly what was left: the line's accounts are all back to zero
    assert (after_all.reversed_minor, after_all.refunded_minor, after_all.status) == (
        250,
        1999,
        "reversed",
    )
    assert set((await support.line_entries(databases, line_id)).values()) == {0}
    reversed_ = await support.outbox(databases, type_="CommissionReversed")
    assert [(e["amount_minor"], e["reason"]) for e in reversed_] == [
        (83, "refund"),
        (167, "return"),
    ]


async def test_a_refund_after_settlement_leaves_the_commission_and_the_merchant_bears_it(
    databases, world
):
    order = await _paid(databases, world, _line(world, 1999))
    async with databases.session("main") as session:
        await session.execute(update(Commission).values(status="settled"))

    await support.refund_line(
        databases, "main", order_id=order.id, line_id=order.lines[0].id, amount_minor=1000
    )
    await support.affiliate_dispatcher(databases).run_once()

    [kept] = await support.commissions(databases)
    assert (kept.status, kept.amount_minor, kept.reversed_minor, kept.refunded_minor) == (
        "settled",
        250,
        0,
        1000,
    )
    entries = await support.line_entries(databases, order.lines[0].id)
    assert entries[creator_pending(world.creator.id)] == -250
    assert entries[CASH] == 999
    assert entries[PLATFORM_FEE] == -50  # 100 - 50 given back with half the line
    assert entries[merchant(world.shop.shop_id)] == -1649 + (1000 - 50)
    assert await support.outbox(databases, type_="CommissionReversed") == []


async def test_cancelling_an_order_reverses_everything_and_its_lines_net_to_zero(databases, world):
    order = await _paid(databases, world, _line(world, 1999), Line(999, 500, quantity=3))

    await support.cancel(databases, "main", order_id=order.id)
    await support.affiliate_dispatcher(databases).run_once()

    [reversed_] = await support.commissions(databases)
    assert (reversed_.status, reversed_.reversed_minor, reversed_.amount_minor) == (
        "reversed",
        250,
        250,
    )
    for line in order.lines:
        assert set((await support.line_entries(databases, line.id)).values()) == {0}
    assert set((await support.balances(databases)).values()) == {0}
    events = await support.outbox(databases, type_="CommissionReversed")
    assert [(e["amount_minor"], e["reason"]) for e in events] == [(250, "cancelled")]


async def test_delivery_starts_the_return_window_of_pending_commissions(databases, world):
    order = await _paid(databases, world, _line(world, 1999), _line(world, 500))
    await support.refund_line(
        databases, "main", order_id=order.id, line_id=order.lines[1].id, amount_minor=500
    )
    delivered_at = datetime(2031, 5, 1, 9, 30, tzinfo=UTC)

    await support.deliver(databases, "main", order_id=order.id, at=delivered_at)
    await support.affiliate_dispatcher(databases).run_once()

    earned = await support.commissions(databases)
    assert [(c.status, c.settle_after) for c in earned] == [
        ("pending", delivered_at + timedelta(days=15)),
        ("reversed", None),  # fully refunded: nothing left to settle
    ]


async def test_a_refund_handled_before_the_payment_books_the_payment_first(databases, world):
    order = await support.paid_order(
        databases, world.shopper, shop_id=world.shop.shop_id, lines=[_line(world, 1999)]
    )
    refund_id = await support.refund_line(
        databases, "main", order_id=order.id, line_id=order.lines[0].id, amount_minor=1999
    )

    await commissions.reverse_line_refund(
        databases,
        cell="main",
        order_id=order.id,
        order_line_id=order.lines[0].id,
        refund_id=refund_id,
        amount_minor=1999,
        reason="refund",
    )
    assert await commissions.accrue_order(databases, cell="main", order_id=order.id) == 0

    [earned] = await support.commissions(databases)
    assert (earned.amount_minor, earned.reversed_minor, earned.status) == (250, 250, "reversed")
    assert set((await support.balances(databases)).values()) == {0}


def test_the_app_delivers_order_events_to_the_affiliate_handlers(app):
    registry = app.state.dispatcher.registry
    assert "affiliate.accrue_commissions" in registry.for_type("OrderPaid")
    assert "affiliate.reverse_line_refund" in registry.for_type("OrderLineRefunded")
    assert "affiliate.reverse_cancelled_order" in registry.for_type("OrderCancelled")
    assert "affiliate.start_return_window" in registry.for_type("OrderDelivered")
