from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from shoptide.db import Base
from shoptide.money import exponent


class Market(Base):
    """A country we sell in; lives in the global cell (reference data, not personal)."""

    __tablename__ = "market"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    # VAT/GST included in shelf prices, in basis points (2000 = 20%)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(40), default="UTC", server_default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the affiliate program's rules: a creator's touch counts this long before payment; a
    # delivered order may be returned this long; the platform keeps this share of each line
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    return_window_days: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    platform_fee_bp: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @validates("timezone")
    def _known_timezone(self, _key: str, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone like Asia/Jakarta") from None
        return value

    @validates("currency")
    def _supported_currency(self, _key: str, value: str) -> str:
        exponent(value)  # raises for a currency we can't price in
        return value
