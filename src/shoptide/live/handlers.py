"""Live rooms reacting to their own committed events: the reminders shoppers asked for.
(Viewers hear of status changes from the media hooks, which publish them at once.)"""

from shoptide import i18n
from shoptide.db import Databases
from shoptide.events import Delivery, HandlerRegistry, LiveRoomStarted
from shoptide.live import service
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
