"""Double-entry books of each market cell: every posting is a transaction whose entries
sum to zero, in one currency."""

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One side of a transaction. Debits are positive, credits negative. The unique
    (transaction, account) pair makes posting a transaction twice impossible."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("txn", "account"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    txn: Mapped[str] = mapped_column(String(60))  # e.g. "paid:line:12", "refund:7"
    account: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "merchant:3"
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    order_line_id: Mapped[int | None] = mapped_column(BigKey, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
