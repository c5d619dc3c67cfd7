"""Creator profiles (global cell): the handle is the creator code shoppers follow."""

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate.models import Creator
from shoptide.errors import Conflict, InvalidInput, NotAllowed, NotFound

HANDLE_PATTERN = re.compile(r"[a-z0-9_]{3,30}")


def clean_handle(raw: str) -> str:
    handle = raw.strip().lstrip("@").lower()
    if not HANDLE_PATTERN.fullmatch(handle):
        raise InvalidInput(
            "A creator handle is 3 to 30 letters, digits or underscores (like @maya_styles)."
        )
    return handle


async def create(
    global_: AsyncSession, *, user_id: int, handle: str, display_name: str, market_code: str
) -> Creator:
    creator = Creator(
        user_id=user_id,
        handle=clean_handle(handle),
        display_name=display_name.strip()[:120] or handle,
        market_code=market_code.upper(),
    )
    global_.add(creator)
    try:
        async with global_.begin_nested():
            await global_.flush()
    except IntegrityError:
        raise Conflict(f"The handle @{creator.handle} is taken. Choose another.") from None
    return creator


async def get_by_handle(global_: AsyncSession, handle: str) -> Creator:
    """The creator behind a creator code; an unknown code is a 404 that says so."""
    creator = await global_.scalar(
        select(Creator).where(Creator.handle == handle.strip().lstrip("@").lower())
    )
    if creator is None:
        raise NotFound(f"There is no creator with the code {handle.strip()!r}.")
    return creator


async def for_user(global_: AsyncSession, user_id: int) -> Creator:
    creator = await global_.scalar(select(Creator).where(Creator.user_id == user_id))
    if creator is None:
        raise NotAllowed("This needs a creator account.")
    return creator


async def by_ids(global_: AsyncSession, creator_ids: Iterable[int]) -> dict[int, Creator]:
    ids = sorted(set(creator_ids))
    if not ids:
        return {}
    rows = await global_.scalars(select(Creator).where(Creator.id.in_(ids)))
    return {creator.id: creator for creator in rows}


async def of_hosts(global_: AsyncSession, host_user_ids: Iterable[int]) -> dict[int, Creator]:
    """The creators among content hosts (videos and live rooms are hosted by global users:
    a merchant or a creator), keyed by host user id."""
    ids = sorted(set(host_user_ids))
    if not ids:
        return {}
    rows = await global_.scalars(select(Creator).where(Creator.user_id.in_(ids)))
    return {creator.user_id: creator for creator in rows}
