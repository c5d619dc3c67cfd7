"""Creator accounts: a global-cell user with role "creator" and their public profile,
made together in the caller's one global transaction (either both, or nothing)."""

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts import service as accounts_service
from shoptide.accounts.service import Passwords
from shoptide.affiliate import creators
from shoptide.affiliate.models import Creator
from shoptide.errors import InvalidInput
from shoptide.markets import service as markets_service


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
    """Refuses a malformed email or handle (422), a short password (422), a market we
    don't sell in (422), and a taken email or handle (409); the route's transaction then
    rolls back whatever was written."""
    if "@" not in email:
        raise InvalidInput("Enter a valid email address.")
    cleaned = creators.clean_handle(handle)  # checked before any write
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
    return await creators.create(
        global_,
        user_id=user.id,
        handle=cleaned,
        display_name=user.display_name,
        market_code=market.code,
    )
