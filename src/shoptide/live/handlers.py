"""Live rooms reacting to committed events: the reminders shoppers asked for, and what a
failed checkout or an ended room gives back. (Viewers hear of status changes from the
media hooks, which publish them at once.)"""

from shoptide import i18n
from shoptide.db import Databases
from shoptide.events import (
    CheckoutFailed,
    Delivery,
    HandlerRegistry,
    LiveRoomEnded,
    LiveRoomStarted,
)
from shoptide.live import commerce, selling, service
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL


def register(registry: HandlerRegistry, databases: Databases) -> None:
    async def send_reminders(delivery: Delivery) -> None:
        """A notification in the inbox of each shopper who tapped "remind me", in their
        market's language (idempotent: a re-delivery finds them all notified)."""
        payload = delivery.payload
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            market = await markets_service.get(global_, payload["market"])
        title = i18n.translations(market.locale).gettext("%(title)s is live now") % {
            "title": payload["title"]
        }
        cell = databases.settings.cell_of_market(payload["market"])
        async with databases.session(cell) as session:
            await service.send_reminders(
                session,
                room_id=payload["room_id"],
                title=title,
                link=f"/live/{payload['public_name']}",
            )

    registry.register(LiveRoomStarted, "live.send_reminders", send_reminders)

    async def give_back_failed_claims(delivery: Delivery) -> None:
        async with databases.session(delivery.cell) as session:
            await commerce.give_back_claims(session, checkout_id=delivery.payload["checkout_id"])

    async def end_deals_of_ended_room(delivery: Delivery) -> None:
        await selling.end_due_deals(databases, delivery.cell)

    registry.register(CheckoutFailed, "live.give_back_failed_claims", give_back_failed_claims)
    registry.register(LiveRoomEnded, "live.end_deals_of_ended_room", end_deals_of_ended_room)
