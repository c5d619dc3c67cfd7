from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime, utcnow

# "charging": the intent, written before the gateway is called; then what came of it
PAYMENT_STATUSES = ("charging", "succeeded", "declined", "not_charged", "refunding", "refunded")


class Payment(Base):
    """Charging a checkout: the intent (status "charging", with the gateway's idempotency
    key), then its outcome. Card numbers are never stored, only the last 4.

    "not_charged": the gateway had no charge when the checkout was given up; "refunding":
    charged for a checkout that could not be completed, until the refund is confirmed."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("checkout_id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(BigKey, ForeignKey("checkout.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # the idempotency key the gateway is charged under (the checkout's payment reference)
    reference: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # when a process last set out to charge it: the recovery sweep waits a grace period
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gateway_ref: Mapped[str] = mapped_column(String(80), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    decline_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    """Money given back: a cancelled order ("order:ID") or one line refund ("line-refund:ID").
    The unique reference keeps a re-delivered event harmless."""

    __tablename__ = "refund"
    __table_args__ = (UniqueConstraint("reference"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigKey, ForeignKey("shop_order.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="succeeded")
    gateway_ref: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
