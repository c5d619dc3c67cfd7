from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base


class Market(Base):
    """A country we sell in; lives in the global cell (reference data, not personal)."""

    __tablename__ = "market"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    # VAT/GST included in shelf prices, in basis points (2000 = 20%)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
