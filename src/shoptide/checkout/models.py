import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime, utcnow

CHECKOUT_STATUSES = ("pending_payment", "paid", "failed", "expired")


class CartLine(Base):
    __tablename__ = "cart_line"
    __table_args__ = (
        UniqueConstraint("shopper_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    shopper_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # where the purchase started: a video or a live room, and its host (for attribution)
    source_kind: Mapped[str] = mapped_column(String(10), default="", server_default="")
    source_id: Mapped[int | None] = mapped_column(Integer)
    source_host_id: Mapped[int | None] = mapped_column(Integer)
    # the creator touch in force when the line was added (affiliate attribution)
    creator_id: Mapped[int | None] = mapped_column(Integer)
    creator_touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    creator_source: Mapped[str] = mapped_column(String(10), default="", server_default="")
    creator_source_id: Mapped[int | None] = mapped_column(Integer)


class Checkout(Base):
    """One attempt to pay for a cart; the idempotency key makes a retried submit safe."""

    __tablename__ = "checkout"
    __table_args__ = (UniqueConstraint("shopper_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    market_code: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending_payment", index=True)
    # "cart": the shopper's cart; "direct": bought on the spot (video, live room drawer)
    kind: Mapped[str] = mapped_column(String(10), default="cart", server_default="cart")
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    # sent to the gateway as its idempotency key: unique across cells and database resets
    payment_reference: Mapped[str] = mapped_column(String(40), default=lambda: uuid.uuid4().hex)
    # what the request asked for (address, card's last 4, lines bought on the spot): the
    # same idempotency key sent with another request is refused, not replayed
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # the shopper, while this cart checkout is pending: one open payment per cart, however
    # many keys and tabs (unique; NULL once it is paid, failed or expired)
    open_cart_shopper_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
