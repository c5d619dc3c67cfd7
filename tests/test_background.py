"""The embedded background loop: outbox dispatch and the expiry sweep, as `shoptide serve`
and `shoptide worker` run them."""

import asyncio
import contextlib

from sqlalchemy import select

from shoptide import background
from shoptide.payments.models import Refund
from tests import factories


async def test_the_background_loop_refunds_a_cancelled_order_on_its_own(client, app, databases):
    shop = await factories.merchant(databases)
    item = await factories.product(databases, shop, prices={"US": 1200})
    buyer = await factories.shopper(databases)
    order = (await factories.buy(client, buyer, item.skus[0])).json()["orders"][0]
    loop = asyncio.create_task(
        background.run_loop(databases, app.state.dispatcher, 0.05, app.state.gateway)
    )
    try:
        cancelled = await client.post(
            f"/api/v1/seller/orders/US/{order['id']}/cancel",
            headers=shop.headers,
            json={"reason": "Damaged"},
        )
        assert cancelled.status_code == 200
        refund = None
        for _ in range(100):  # the loop is woken by the commit; allow it up to 5 s
            async with databases.session("main", write=False) as s:
                refund = await s.scalar(select(Refund))
            if refund:
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    assert refund is not None
    assert (refund.order_id, refund.amount_minor) == (order["id"], 1200)
