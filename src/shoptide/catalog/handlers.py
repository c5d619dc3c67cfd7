"""Catalog reacting to other domains' events."""

from collections import Counter

from shoptide.catalog import service
from shoptide.db import Databases
from shoptide.events import Delivery, HandlerRegistry, OrderPaid
from shoptide.settings import GLOBAL_CELL


def register(registry: HandlerRegistry, databases: Databases) -> None:
    async def count_sales(delivery: Delivery) -> None:
        """Units sold feed the shelf's "popular" order. A rare re-delivery (crash between
        the update and the delivery record) may count an order twice: fine for a ranking."""
        sold: Counter[int] = Counter()
        for product_id, quantity in delivery.payload.get("items", []):
            sold[product_id] += quantity
        async with databases.session(GLOBAL_CELL) as session:
            await service.add_sales(session, sold)

    registry.register(OrderPaid, "catalog.count_sales", count_sales)
