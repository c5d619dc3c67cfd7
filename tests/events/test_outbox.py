import pytest
from sqlalchemy import func, select

from shoptide.events import (
    Delivery,
    Dispatcher,
    HandlerRegistry,
    OrderPaid,
    OrderPlaced,
    OutboxEvent,
    record,
)
from tests import factories


def _placed(order_id: int = 1) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, shop_id=1, market="US", total_minor=100, currency="USD")


async def test_an_event_is_kept_only_if_its_transaction_commits(databases):
    with pytest.raises(RuntimeError):
        async with databases.session("main") as s:
            record(s, _placed())
            raise RuntimeError("the change failed")
    async with databases.session("main") as s:
        record(s, _placed(2))
    async with databases.session("main", write=False) as s:
        assert [e.payload["order_id"] for e in await s.scalars(select(OutboxEvent))] == [2]


async def test_a_failing_handler_is_retried_and_each_handler_sees_the_event_once(databases):
    seen: list[tuple[str, int]] = []
    failures = {"flaky": 1}

    def handler(name: str):
        async def handle(delivery: Delivery) -> None:
            if failures.get(name):
                failures[name] -= 1
                raise ConnectionError("broker away")
            seen.append((name, delivery.payload["order_id"]))

        return handle

    registry = HandlerRegistry()
    registry.register(OrderPlaced, "steady", handler("steady"))
    registry.register(OrderPlaced, "flaky", handler("flaky"))
    dispatcher = Dispatcher(databases, registry)
    async with databases.session("main") as s:
        record(s, _placed(7))

    assert await dispatcher.run_once() == 0  # flaky failed: the event stays due
    async with databases.session("main") as s:  # make the retry due now
        event = await s.scalar(select(OutboxEvent))
        event.next_attempt_at = event.created_at
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0  # nothing left to deliver

    assert sorted(seen) == [("flaky", 7), ("steady", 7)]


async def test_paying_for_an_order_writes_order_placed_and_order_paid(client, databases):
    delivered: list[str] = []

    async def collect(delivery: Delivery) -> None:
        delivered.append(f"{delivery.type}:{delivery.cell}")

    registry = HandlerRegistry()
    registry.register(OrderPlaced, "test.collect", collect)
    registry.register(OrderPaid, "test.collect", collect)
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"ID": 99000}, stock={"ID": 2})
    buyer = await factories.shopper(databases, "ID")

    assert (await factories.buy(client, buyer, item.skus[0])).status_code == 201
    await Dispatcher(databases, registry).run_once()

    assert delivered == ["OrderPlaced:sea", "OrderPaid:sea"]
    async with databases.session("sea", write=False) as s:
        undelivered = await s.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
        )
    assert undelivered == 0
