"""The creators' steps that own their units of work.

A visitor who isn't signed in has no cell to keep a touch in: their last click waits in the
signed session and becomes their touch when they sign in (its time is the click's)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.service import Passwords, Principal
from shoptide.creators import service
from shoptide.creators.models import Creator
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL


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
    creator = await service.get_by_handle(global_, code)
    if user is None:
        session[service.REMEMBERED] = service.remembered_click(
            creator_id=creator.id, product_id=product_id, source_kind=source_kind
        )
    elif user.role == "shopper":
        async with databases.session(user.cell) as cell:
            await service.record_touch(
                cell,
                shopper_id=user.user_id,
                product_id=product_id,
                creator_id=creator.id,
                source_kind=source_kind,
            )
    return creator


async def apply_visit(
    databases: Databases, visit: Mapping[str, Any], shopper_id: int, cell: str
) -> None:
    """On a shopper's sign-in (web.sessions.sign_in_shopper, registered by the app): the
    creator click they made as a visitor (`visit`: what their session held) becomes their
    touch."""
    remembered = visit.get(service.REMEMBERED)
    if not remembered:
        return
    async with databases.session(cell) as session:
        await service.record_touch(
            session,
            shopper_id=shopper_id,
            product_id=int(remembered["product_id"]),
            creator_id=int(remembered["creator_id"]),
            source_kind=str(remembered["source"]),
            at=datetime.fromisoformat(remembered["at"]),
        )


class Joining(TypedDict):
    """The sign-up form's fields, as service.join takes them."""

    email: str
    password: str
    display_name: str
    handle: str
    market_code: str


async def join(databases: Databases, *, passwords: Passwords, **form: Unpack[Joining]) -> Creator:
    """A creator account and profile in one global unit of work: both, or nothing."""
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.join(global_, passwords=passwords, **form)
