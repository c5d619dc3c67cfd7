"""What a host's console routes share: the room they work on and everything needed to
answer them, built by one dependency for each kind of console."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from shoptide.db import Databases
from shoptide.deps import CurrentSeat, DatabasesDep, Seat, SettingsDep
from shoptide.settings import Settings
from shoptide.web.rendering import Page, PageDep


@dataclass
class HostRequest:
    """A request from the host's shop about one of its rooms."""

    public_name: str
    request: Request
    page: Page
    seat: Seat
    databases: Databases
    settings: Settings


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
