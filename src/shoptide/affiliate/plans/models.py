"""What merchants offer creators (global cell): open plans and invitations (targeted plans)."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoptide.db import Base, UTCDateTime, utcnow

SHOP_WIDE = 0  # OpenPlan.product_id of the rate that covers every product of the shop


class OpenPlan(Base):
    """A commission rate every creator may earn: on one product, or (product_id 0) on
    every product of the shop. A product's own rate wins over the shop's."""

    __tablename__ = "open_plan"
    __table_args__ = (
        UniqueConstraint("shop_id", "product_id"),
        CheckConstraint("rate_bp BETWEEN 100 AND 8000", name="rate_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, default=SHOP_WIDE)
    rate_bp: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invitation(Base):
    """A targeted plan: one named creator, a (usually higher) rate on some products, until
    it expires. Samples may be offered."""

    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("rate_bp BETWEEN 100 AND 8000", name="rate_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    creator_id: Mapped[int] = mapped_column(
        ForeignKey("creator.id", ondelete="CASCADE"), index=True
    )
    rate_bp: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(500), default="")
    samples_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    # invited | accepted | declined | withdrawn ("expired" is derived from expires_at)
    status: Mapped[str] = mapped_column(String(10), default="invited", index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    products: Mapped[list["InvitationProduct"]] = relationship(
        order_by="InvitationProduct.id", cascade="all, delete-orphan", lazy="selectin"
    )


class InvitationProduct(Base):
    __tablename__ = "invitation_product"
    __table_args__ = (UniqueConstraint("invitation_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(Integer, index=True)
