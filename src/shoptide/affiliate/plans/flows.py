"""Merchants' and creators' changes to plans, each in a global unit of work of its own (the
pages' writes: a domain error rolls everything back before the form is shown again)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict, Unpack

from shoptide.affiliate.plans import service
from shoptide.affiliate.plans.models import Invitation, OpenPlan
from shoptide.db import Databases
from shoptide.settings import GLOBAL_CELL


async def set_open_rate(
    databases: Databases, *, shop_id: int, product_id: int, rate_bp: int
) -> OpenPlan:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.set_open_rate(
            global_, shop_id=shop_id, product_id=product_id, rate_bp=rate_bp
        )


async def end_open_rate(databases: Databases, *, shop_id: int, product_id: int) -> None:
    async with databases.session(GLOBAL_CELL) as global_:
        await service.end_open_rate(global_, shop_id=shop_id, product_id=product_id)


class Terms(TypedDict):
    """An invitation's terms, as service.invite takes them."""

    handle: str  # the creator's
    rate_bp: int
    product_ids: Sequence[int]
    expires_at: datetime
    samples_offered: bool
    message: str


async def invite(databases: Databases, *, shop_id: int, **terms: Unpack[Terms]) -> Invitation:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.invite(global_, shop_id=shop_id, **terms)


async def withdraw(databases: Databases, *, shop_id: int, invitation_id: int) -> Invitation:
    async with databases.session(GLOBAL_CELL) as global_:
        return await service.withdraw(global_, shop_id=shop_id, invitation_id=invitation_id)


async def respond(
    databases: Databases, *, creator_id: int, invitation_id: int, accept: bool
) -> Invitation:
    """The creator accepts or declines an invitation."""
    answer = service.accept if accept else service.decline
    async with databases.session(GLOBAL_CELL) as global_:
        return await answer(global_, creator_id=creator_id, invitation_id=invitation_id)
