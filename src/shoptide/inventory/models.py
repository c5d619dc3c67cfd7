"""Stock per variant per market, in the market's cell, beside the orders it is sold to.

A variant's units sit in pools: the shelf (pool "") and, for a while, pools set aside for
one purpose (a live flash deal: "deal:12"). A closed pool's units are back on the shelf."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime

SHELF = ""


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("variant_id", "market_code", "pool"),
        CheckConstraint("available >= 0", name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(Integer)  # catalog lives in the global cell
    market_code: Mapped[str] = mapped_column(String(2))
    available: Mapped[int] = mapped_column(Integer, default=0)
    pool: Mapped[str] = mapped_column(String(40), default=SHELF, server_default=SHELF)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Reservation(Base):
    """Units taken from `available` for a checkout that is not paid yet."""

    __tablename__ = "reservation"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int] = mapped_column(BigKey, index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
