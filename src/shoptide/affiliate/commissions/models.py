"""Commissions (market cell, next to the orders they pay on): what an order line earns
its creator."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime, utcnow


class Commission(Base):
    """What one order line earns its creator. The unique line keeps a line from ever paying
    two creators (or one creator twice, when OrderPaid is delivered again)."""

    __tablename__ = "commission"
    __table_args__ = (
        UniqueConstraint("order_line_id"),
        CheckConstraint("reversed_minor BETWEEN 0 AND amount_minor", name="reversal_in_range"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigKey, index=True)
    order_line_id: Mapped[int] = mapped_column(BigKey)
    creator_id: Mapped[int] = mapped_column(Integer, index=True)
    shop_id: Mapped[int] = mapped_column(Integer, index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    market_code: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    source_kind: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int | None] = mapped_column(Integer)
    base_minor: Mapped[int] = mapped_column(BigInteger)  # what the shopper paid for the line
    rate_bp: Mapped[int] = mapped_column(Integer)
    invitation_id: Mapped[int | None] = mapped_column(Integer)  # the targeted plan, if any
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # earned at payment
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # of base, so far
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # of amount, so far
    # pending | settled | reversed | paid_out
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    accrued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when the order is delivered: delivery + the market's return window
    settle_after: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id"), index=True)
