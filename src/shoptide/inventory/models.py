"""Stock per variant per market, in the market's cell, beside the orders it is sold to."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, UTCDateTime


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("variant_id", "market_code"),
        CheckConstraint("available >= 0", name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(Integer)  # catalog lives in the global cell
    market_code: Mapped[str] = mapped_column(String(2))
    available: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(Base):
    """Units taken from `available` for a checkout that is not paid yet."""

    __tablename__ = "reservation"

    id: Mapped[int] = mapped_column(primary_key=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int] = mapped_column(Integer, index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
