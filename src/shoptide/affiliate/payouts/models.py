"""Payouts (market cell): settled commissions paid to a creator in one run."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, UTCDateTime, utcnow


class Payout(Base):
    """Settled commissions paid to a creator in one run; the run key makes a rerun pay
    nothing twice."""

    __tablename__ = "payout"
    __table_args__ = (UniqueConstraint("creator_id", "run_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(Integer, index=True)
    run_key: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
