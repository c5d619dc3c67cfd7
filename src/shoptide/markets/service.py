from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.errors import InvalidInput
from shoptide.markets.models import Market

# code, name, currency, locale, tax included in shelf prices (basis points)
DEFAULT_MARKETS: list[tuple[str, str, str, str, int]] = [
    ("US", "United States", "USD", "en_US", 0),
    ("GB", "United Kingdom", "GBP", "en_GB", 2000),
    ("DE", "Deutschland", "EUR", "de_DE", 1900),
    ("FR", "France", "EUR", "fr_FR", 2000),
    ("ID", "Indonesia", "IDR", "id_ID", 1100),
    ("TH", "ประเทศไทย", "THB", "th_TH", 700),
    ("VN", "Việt Nam", "VND", "vi_VN", 1000),
    ("MY", "Malaysia", "MYR", "ms_MY", 800),
]


async def ensure_defaults(session: AsyncSession) -> int:
    """Insert the default markets that are missing; returns how many were added."""
    existing = set(await session.scalars(select(Market.code)))
    added = 0
    for position, (code, name, currency, locale, tax) in enumerate(DEFAULT_MARKETS):
        if code not in existing:
            session.add(
                Market(
                    code=code,
                    name=name,
                    currency=currency,
                    locale=locale,
                    tax_rate_bp=tax,
                    position=position,
                )
            )
            added += 1
    await session.flush()
    return added


async def list(session: AsyncSession, *, active_only: bool = True) -> Sequence[Market]:
    query = select(Market).order_by(Market.position, Market.code)
    if active_only:
        query = query.where(Market.active.is_(True))
    return (await session.scalars(query)).all()


async def get(session: AsyncSession, code: str) -> Market:
    market = await session.get(Market, code.upper()) if code else None
    if market is None or not market.active:
        raise InvalidInput(f"We don't sell in market {code!r}. Pick one of the listed markets.")
    return market


def included_tax(gross_minor: int, tax_rate_bp: int) -> int:
    """Tax contained in a tax-inclusive amount, rounded half up, in integers only."""
    return (gross_minor * tax_rate_bp * 2 + (10_000 + tax_rate_bp)) // (2 * (10_000 + tax_rate_bp))
