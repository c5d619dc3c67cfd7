from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from shoptide.db import Base, BigKey, UTCDateTime, utcnow


@dataclass(frozen=True)
class ShippingAddress:
    """Where an order goes, copied into the order so later address-book edits don't move it."""

    full_name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country_code: str
    phone: str


class Order(Base):
    """One shop's part of a checkout, with its shipping address copied in."""

    __tablename__ = "shop_order"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(BigKey, ForeignKey("checkout.id"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    shop_id: Mapped[int] = mapped_column(Integer, index=True)  # shop is in the global cell
    market_code: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # included in subtotal
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)
    shipping: Mapped["ShippingAddress"] = composite(
        mapped_column("ship_name", String(120)),
        mapped_column("ship_line1", String(200)),
        mapped_column("ship_line2", String(200), default=""),
        mapped_column("ship_city", String(100)),
        mapped_column("ship_postal_code", String(20)),
        mapped_column("ship_country", String(2)),
        mapped_column("ship_phone", String(40), default=""),
    )
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    # where the purchase started: a video or a live room, and its host (for attribution)
    source_kind: Mapped[str] = mapped_column(String(10), default="", server_default="")
    source_id: Mapped[int | None] = mapped_column(Integer)
    source_host_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["OrderLine"]] = relationship(
        order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    history: Mapped[list["OrderStatusChange"]] = relationship(
        order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        BigKey, ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    variant_label: Mapped[str] = mapped_column(String(100))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_minor: Mapped[int] = mapped_column(BigInteger)  # what the shopper paid for it
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # the creator whose content or showcase led to this line (affiliate), and when and how
    creator_id: Mapped[int | None] = mapped_column(Integer, index=True)
    creator_touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    creator_source: Mapped[str] = mapped_column(String(10), default="", server_default="")
    creator_source_id: Mapped[int | None] = mapped_column(Integer)

    refunds: Mapped[list["OrderLineRefund"]] = relationship(
        order_by="OrderLineRefund.id", cascade="all, delete-orphan"
    )


class OrderStatusChange(Base):
    __tablename__ = "order_status_change"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        BigKey, ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


REFUND_REASONS = ("refund", "return")


class OrderLineRefund(Base):
    """Money given back on one line after shipping: a partial refund, or a return received."""

    __tablename__ = "order_line_refund"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        BigKey, ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        BigKey, ForeignKey("order_line.id", ondelete="CASCADE"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(10))  # REFUND_REASONS
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
