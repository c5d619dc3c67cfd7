"""Where shoppers meet creators, and which creator a purchase is credited to.

A shopper is touched by a creator when they follow the creator's link (/p/ID?creator=code)
or a product on the creator's showcase (/@code/p/ID), or when they buy from a creator's
video or live room. Checkout stamps the touch in force at add-to-cart on the cart line (and
on a line bought on the spot); the stamp travels to the order line.

A visitor who isn't signed in has no cell to keep a touch in: their last click waits in the
signed session and becomes their touch when they sign in (its time is the click's)."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.service import Principal
from shoptide.affiliate import creators, touches
from shoptide.affiliate.models import Creator
from shoptide.affiliate.touches import Touch
from shoptide.db import Databases, utcnow
from shoptide.markets.models import Market
from shoptide.orders.service import OrderSource

REMEMBERED = "creator_touch"  # the session key of a visitor's last creator click


def window(market: Market) -> timedelta:
    return timedelta(days=market.attribution_window_days)


async def in_force(
    cell: AsyncSession, *, shopper_id: int, product_id: int, market: Market
) -> Touch | None:
    """The shopper's touch for the product within the market's attribution window."""
    return await touches.in_force(
        cell, shopper_id=shopper_id, product_id=product_id, window=window(market)
    )


async def creator_hosts(
    global_: AsyncSession, sources: Iterable[OrderSource | None]
) -> dict[int, int]:
    """Creator id by host user id, for the sources (videos, live rooms) a creator hosts."""
    hosts = await creators.of_hosts(global_, [s.host_user_id for s in sources if s is not None])
    return {user_id: creator.id for user_id, creator in hosts.items()}


async def touch_from_source(
    cell: AsyncSession,
    hosts: Mapping[int, int],
    *,
    shopper_id: int,
    product_id: int,
    source: OrderSource | None,
) -> None:
    """A purchase started in a creator's video or live room is that creator's touch
    (`hosts` from creator_hosts, read before the cell's write begins)."""
    if source is None or source.host_user_id not in hosts:
        return
    await touches.record(
        cell,
        shopper_id=shopper_id,
        product_id=product_id,
        creator_id=hosts[source.host_user_id],
        source_kind=source.kind,
        source_id=source.id,
    )


async def follow(
    databases: Databases,
    global_: AsyncSession,
    session: dict[str, Any],
    *,
    user: Principal | None,
    code: str,
    product_id: int,
    source_kind: str,
) -> Creator:
    """A click on a creator's link or showcase product; an unknown creator code is a 404.

    A shopper's touch is written in a short unit of work of its own (the page around it
    only reads); a visitor's waits in their session (`session`); others touch no one."""
    creator = await creators.get_by_handle(global_, code)
    if user is None:
        session[REMEMBERED] = {
            "creator_id": creator.id,
            "product_id": product_id,
            "source": source_kind,
            "at": utcnow().isoformat(),
        }
    elif user.role == "shopper":
        async with databases.session(user.cell) as cell:
            await touches.record(
                cell,
                shopper_id=user.user_id,
                product_id=product_id,
                creator_id=creator.id,
                source_kind=source_kind,
            )
    return creator


async def apply_remembered(
    databases: Databases, remembered: dict[str, Any] | None, *, shopper_id: int, cell: str
) -> None:
    """On sign-in: the click the shopper made as a visitor becomes their touch."""
    if not remembered:
        return
    async with databases.session(cell) as session:
        await touches.record(
            session,
            shopper_id=shopper_id,
            product_id=int(remembered["product_id"]),
            creator_id=int(remembered["creator_id"]),
            source_kind=str(remembered["source"]),
            at=datetime.fromisoformat(remembered["at"]),
        )


async def recommender(
    cell: AsyncSession,
    global_: AsyncSession,
    *,
    user: Principal | None,
    product_id: int,
    market: Market,
) -> Creator | None:
    """Who recommended the product to this shopper: their touch in force, if any."""
    if user is None or user.role != "shopper":
        return None
    touch = await in_force(cell, shopper_id=user.user_id, product_id=product_id, market=market)
    return None if touch is None else await creator_of(global_, touch)


async def creator_of(global_: AsyncSession, touch: Touch) -> Creator | None:
    return (await creators.by_ids(global_, [touch.creator_id])).get(touch.creator_id)
