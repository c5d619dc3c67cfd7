from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.errors import InvalidInput, NotFound
from shoptide.markets.models import Market


class MarketDefaults(NamedTuple):
    code: str
    name: str
    currency: str
    locale: str
    tax_rate_bp: int  # included in shelf prices, in basis points
    timezone: str  # IANA zone shoppers read times in


DEFAULT_MARKETS: list[MarketDefaults] = [
    MarketDefaults("US", "United States", "USD", "en_US", 0, "America/New_York"),
    MarketDefaults("GB", "United Kingdom", "GBP", "en_GB", 2000, "Europe/London"),
    MarketDefaults("DE", "Deutschland", "EUR", "de_DE", 1900, "Europe/Berlin"),
    MarketDefaults("FR", "France", "EUR", "fr_FR", 2000, "Europe/Paris"),
    MarketDefaults("ID", "Indonesia", "IDR", "id_ID", 1100, "Asia/Jakarta"),
    MarketDefaults("TH", "ประเทศไทย", "THB", "th_TH", 700, "Asia/Bangkok"),
    MarketDefaults("VN", "Việt Nam", "VND", "vi_VN", 1000, "Asia/Ho_Chi_Minh"),
    MarketDefaults("MY", "Malaysia", "MYR", "ms_MY", 800, "Asia/Kuala_Lumpur"),
]


async def ensure_defaults(session: AsyncSession) -> int:
    """Insert the default markets that are missing; returns how many were added."""
    existing = set(await session.scalars(select(Market.code)))
    added = 0
    for position, defaults in enumerate(DEFAULT_MARKETS):
        if defaults.code not in existing:
            session.add(Market(**defaults._asdict(), position=position))
            added += 1
    await session.flush()
    return added


async def list(session: AsyncSession, *, active_only: bool = True) -> Sequence[Market]:
    query = select(Market).order_by(Market.position, Market.code)
    if active_only:
        query = query.where(Market.active.is_(True))
    return (await session.scalars(query)).all()


def _not_sold_in(code: str) -> InvalidInput:
    return InvalidInput(f"We don't sell in market {code!r}. Pick one of the listed markets.")


async def get(session: AsyncSession, code: str) -> Market:
    """The open market of `code`; naming another is bad input (422: a form's field)."""
    market = await session.get(Market, code.upper()) if code else None
    if market is None or not market.active:
        raise _not_sold_in(code)
    return market


async def requested(session: AsyncSession, code: str) -> Market:
    """The market an API request names (X-Market, ?market=, a body's `market`): one that
    is not open is not there (404), as an unknown id is."""
    try:
        return await get(session, code)
    except InvalidInput as refusal:
        raise NotFound(refusal.message) from None


def among(markets: Sequence[Market], code: str) -> Market:
    """The market of `code` among markets already read (a page's), refused as get() does."""
    found = next((m for m in markets if m.code == code.upper() and m.active), None)
    if found is None:
        raise _not_sold_in(code)
    return found


def included_tax(gross_minor: int, tax_rate_bp: int) -> int:
    """Tax contained in a tax-inclusive amount, rounded half up, in integers only."""
    return (gross_minor * tax_rate_bp * 2 + (10_000 + tax_rate_bp)) // (2 * (10_000 + tax_rate_bp))
