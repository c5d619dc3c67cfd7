"""What live's routes share: the process's hub, and for a host's console routes the room
they work on and everything needed to answer them, built by one dependency for each kind
of console."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from shoptide.db import Databases
from shoptide.deps import CurrentSeat, DatabasesDep, Seat, SettingsDep
from shoptide.live.realtime import Hub
from shoptide.settings import Settings
from shoptide.web.rendering import Page, PageDep


async def live_hub(request: Request) -> Hub:
    """The process's hub: room messages go out through it once their change committed."""
    hub: Hub = request.app.state.live_hub
    return hub


HubDep = Annotated[Hub, Depends(live_hub)]


@dataclass
class HostRequest:
    """A request from the host's shop about one of its rooms."""

    public_name: str
    request: Request
    page: Page
    seat: Seat
    databases: Databases
    settings: Settings

    @property
    def shop_id(self) -> int:
        return self.seat.shop.id


H = TypeVar("H", bound=HostRequest)


def host_request(kind: type[H]) -> Callable[..., Awaitable[H]]:
    """The dependency that builds `kind` for a route under /seller/live/{public_name}."""

    async def build(
        public_name: str,
        request: Request,
        page: PageDep,
        seat: CurrentSeat,
        databases: DatabasesDep,
        settings: SettingsDep,
    ) -> H:
        return kind(public_name, request, page, seat, databases, settings)

    return build
