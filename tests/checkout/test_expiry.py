from datetime import timedelta

from sqlalchemy import select

from shoptide.checkout import flows as checkout_flows
from shoptide.checkout import service as checkout_service
from shoptide.checkout.models import Checkout
from shoptide.db import utcnow
from shoptide.inventory import service as inventory_service
from shoptide.inventory.models import Stock
from shoptide.markets import service as markets_service
from shoptide.orders import service as orders_service
from shoptide.payments.gateway import TestGateway
from shoptide.payments.models import Payment
from tests import factories


async def test_unpaid_checkout_gives_its_stock_back_when_the_reservation_expires(databases):
    """A checkout whose payment never settled (the process died mid-way) must not keep the
    units forever: the sweep returns them and marks the orders failed."""
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 4})
    buyer = await factories.shopper(databases)
    async with databases.session("main") as s:
        variant_id = await s.scalar(select(Stock.variant_id))
        checkout = Checkout(
            shopper_id=buyer.id,
            idempotency_key="stuck-checkout",
            market_code="US",
            currency="USD",
            total_minor=1999,
        )
        s.add(checkout)
        await s.flush()
        await inventory_service.reserve(
            s,
            items=[inventory_service.Take(variant_id, 3, item.skus[0])],
            market="US",
            checkout_id=checkout.id,
            expires_at=utcnow() - timedelta(seconds=1),
        )
        await orders_service.create(
            s,
            checkout_id=checkout.id,
            shopper_id=buyer.id,
            shop_id=shop.shop_id,
            market="US",
            currency="USD",
            tax_rate_bp=0,
            address=orders_service.ShippingAddress("A", "1 St", "", "Town", "1", "US", ""),
            lines=[
                orders_service.LineDraft(item.id, variant_id, item.skus[0], "T", "Red", 1999, 3)
            ],
        )

    gateway = TestGateway()
    assert await checkout_flows.expire_stale(databases, gateway, "main") == 1
    assert await checkout_flows.expire_stale(databases, gateway, "main") == 0  # idempotent

    async with databases.session("main", write=False) as s:
        assert await s.scalar(select(Stock.available)) == 4
        assert (await s.get(Checkout, checkout.id)).status == "expired"
        orders = await orders_service.for_checkout(s, checkout.id)
        assert [o.status for o in orders] == ["payment_failed"]


async def test_a_charge_that_lands_after_the_checkout_expired_is_refunded(databases):
    """The sweep may expire a checkout while its card is being charged; the shopper must
    not pay for orders that were cancelled."""

    class SlowGateway(TestGateway):
        refunded: list[str] = []

        async def charge(self, **kwargs):
            later = utcnow() + timedelta(hours=1)
            await checkout_flows.expire_stale(databases, self, "main", now=later)
            return await super().charge(**kwargs)

        async def refund(self, *, reference, amount):
            self.refunded.append(reference)
            return await super().refund(reference=reference, amount=amount)

    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, stock={"US": 2})
    buyer = await factories.shopper(databases)
    gateway = SlowGateway()
    async with databases.session("main") as s, databases.session("global", write=False) as g:
        market = await markets_service.get(g, "US")
        await checkout_service.set_quantity(
            s, g, shopper_id=buyer.id, market=market, sku=item.skus[0], quantity=1
        )

    result = await checkout_flows.place(
        databases,
        gateway,
        attempt=checkout_service.Attempt(
            buyer.id,
            market,
            "late-charge-1",
            orders_service.ShippingAddress("A", "1 St", "", "Town", "1", "US", ""),
            timedelta(minutes=15),
        ),
        card_number="4242424242424242",
    )

    assert result.checkout.status == "expired"
    assert len(gateway.refunded) == 1
    async with databases.session("main", write=False) as s:
        assert (await s.scalar(select(Payment))).status == "refunded"
        assert await s.scalar(select(Stock.available)) == 2
