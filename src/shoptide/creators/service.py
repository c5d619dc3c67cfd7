"""Creators and which creator a purchase is credited to: the domain's public face.

Profiles (global cell): the handle is the creator code shoppers follow; a creator account is
a global user with role "creator" and its profile, made in one transaction.

Touches (market cell): the last creator who led a shopper to a product. Attribution is last
touch: a touch is recorded when a shopper opens a creator's showcase product or creator link,
or buys from a creator's video or live room; checkout stamps the touch in force at
add-to-cart on the cart line (and on a line bought on the spot), the stamp travels to the
order line, and it credits the creator when the payment falls within the market's
attribution window of the touch, the creator's account is open and the shopper is not the
creator (same e-mail address: a creator's own purchase).

Functions take the caller's session; the steps that open units of work of their own (a
click that touches a shopper while the page only reads, a visitor's click applied on
sign-in, joining) are in flows.py.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords, Principal
from shoptide.creators.models import TOUCH_SOURCES, Creator, CreatorTouch
from shoptide.db import upsert, utcnow
from shoptide.errors import Conflict, InvalidInput, NotAllowed, NotFound, NotSignedIn
from shoptide.markets import service as markets_service
from shoptide.markets.models import Market

HANDLE_PATTERN = re.compile(r"[a-z0-9_]{3,30}")
REMEMBERED = "creator_touch"  # the session key of a visitor's last creator click


# --- profiles ----------------------------------------------------------------------------------


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


async def join(
    global_: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    handle: str,
    market_code: str,
    passwords: Passwords,
) -> Creator:
    """A creator account and its profile, in the caller's one global transaction (both, or
    nothing). Refuses a malformed email or handle (422), a short password (422), a market we
    don't sell in (422), and a taken email or handle (409)."""
    if "@" not in email:
        raise InvalidInput("Enter a valid email address.")
    cleaned = clean_handle(handle)  # checked before any write
    market = await markets_service.get(global_, market_code)
    user = await accounts_service.create(
        global_,
        email=email,
        password=password,
        display_name=display_name,
        role="creator",
        market_code=market.code,
        passwords=passwords,
    )
    return await create(
        global_,
        user_id=user.id,
        handle=cleaned,
        display_name=user.display_name,
        market_code=market.code,
    )


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


async def creator_hosts(global_: AsyncSession, host_user_ids: Iterable[int]) -> dict[int, int]:
    """Creator id by host user id, for the hosts (of videos, live rooms) who are creators."""
    hosts = await of_hosts(global_, host_user_ids)
    return {user_id: creator.id for user_id, creator in hosts.items()}


# --- touches -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    creator_id: int
    source_kind: str  # TOUCH_SOURCES
    source_id: int | None
    touched_at: datetime


async def record_touch(
    cell: AsyncSession,
    *,
    shopper_id: int,
    product_id: int,
    creator_id: int,
    source_kind: str,
    source_id: int | None = None,
    at: datetime | None = None,
) -> Touch:
    """Make this creator the shopper's last touch for the product (one upsert)."""
    if source_kind not in TOUCH_SOURCES:
        raise ValueError(f"unknown touch source {source_kind!r}")
    touched_at = at or utcnow()
    values = {
        "creator_id": creator_id,
        "source_kind": source_kind,
        "source_id": source_id,
        "touched_at": touched_at,
    }
    statement = upsert(cell, CreatorTouch).values(
        shopper_id=shopper_id, product_id=product_id, **values
    )
    await cell.execute(
        statement.on_conflict_do_update(index_elements=["shopper_id", "product_id"], set_=values)
    )
    return Touch(creator_id, source_kind, source_id, touched_at)


def window(market: Market) -> timedelta:
    """How long a touch counts in the market: its attribution window."""
    return timedelta(days=market.attribution_window_days)


def within_window(touched_at: datetime, at: datetime, market: Market) -> bool:
    """Whether a touch made at `touched_at` still counts at `at` in the market."""
    return at - touched_at <= window(market)


async def in_force(
    cell: AsyncSession,
    *,
    shopper_id: int,
    product_id: int,
    market: Market,
    now: datetime | None = None,
) -> Touch | None:
    """The shopper's last creator touch for the product, if it is within the market's
    attribution window."""
    row = await cell.scalar(
        select(CreatorTouch).where(
            CreatorTouch.shopper_id == shopper_id, CreatorTouch.product_id == product_id
        )
    )
    if row is None or row.touched_at < (now or utcnow()) - window(market):
        return None
    return Touch(row.creator_id, row.source_kind, row.source_id, row.touched_at)


async def touch_from_source(
    cell: AsyncSession,
    hosts: Mapping[int, int],
    *,
    shopper_id: int,
    product_id: int,
    kind: str,
    source_id: int,
    host_user_id: int,
) -> None:
    """A purchase started in a creator's video or live room (`kind` "video" or "live") is
    that creator's touch (`hosts` from creator_hosts, read before the cell's write begins);
    a host who is not a creator touches no one."""
    if host_user_id not in hosts:
        return
    await record_touch(
        cell,
        shopper_id=shopper_id,
        product_id=product_id,
        creator_id=hosts[host_user_id],
        source_kind=kind,
        source_id=source_id,
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
    return (await by_ids(global_, [touch.creator_id])).get(touch.creator_id)


def remembered_click(*, creator_id: int, product_id: int, source_kind: str) -> dict[str, object]:
    """A visitor's click as their signed session keeps it (under REMEMBERED) until sign-in."""
    return {
        "creator_id": creator_id,
        "product_id": product_id,
        "source": source_kind,
        "at": utcnow().isoformat(),
    }


# --- credit at payment -------------------------------------------------------------------------


async def account_email(session: AsyncSession, user_id: int) -> str | None:
    """The active account's e-mail address (casefolded); None for a closed account."""
    try:
        return (await accounts_service.get(session, user_id)).email.casefold()
    except NotSignedIn:
        return None


async def creator_emails(global_: AsyncSession, creator_ids: Iterable[int]) -> dict[int, str]:
    """Creators with an open account, by id, and their e-mail address: a closed account
    earns nothing."""
    emails = {}
    for creator in (await by_ids(global_, creator_ids)).values():
        email = await account_email(global_, creator.user_id)
        if email is not None:
            emails[creator.id] = email
    return emails


def credits(
    *,
    creator_id: int | None,
    touched_at: datetime | None,
    paid_at: datetime,
    market: Market,
    creator_emails: Mapping[int, str],
    shopper_email: str | None,
) -> bool:
    """Whether the touch stamped on a line credits its creator at payment: within the
    market's window, an open account (`creator_emails`), and not the creator's own purchase."""
    if creator_id is None or touched_at is None:
        return False
    if not within_window(touched_at, paid_at, market):
        return False
    creator_email = creator_emails.get(creator_id)
    return creator_email is not None and creator_email != shopper_email
