"""The affiliate program.

Global cell (the shops' and creators' business, not shoppers' personal data): creator
profiles, open plans, targeted invitations, sample requests, showcases.
Market cell (next to the orders they pay on): creator touches, commissions, payouts.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoptide.db import Base, UTCDateTime, utcnow

MIN_RATE_BP, MAX_RATE_BP = 100, 8000  # commission rates: 1% to 80%
TOUCH_SOURCES = ("video", "live", "showcase", "link")
SHOP_WIDE = 0  # OpenPlan.product_id of the rate that covers every product of the shop


class Creator(Base):
    """A creator's public profile; the account is a global user with role "creator".
    The handle is the creator code in links (/@handle, ?creator=handle)."""

    __tablename__ = "creator"
    __table_args__ = (UniqueConstraint("user_id"), UniqueConstraint("handle"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    handle: Mapped[str] = mapped_column(String(30))  # lowercase a-z 0-9 _
    display_name: Mapped[str] = mapped_column(String(120))
    market_code: Mapped[str] = mapped_column(String(2), index=True)
    bio: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"@{self.handle}"


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


class SampleRequest(Base):
    """A free sample a creator asks for under an invitation; the shop approves and ships it."""

    __tablename__ = "sample_request"
    __table_args__ = (UniqueConstraint("invitation_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[int] = mapped_column(Integer, index=True)
    creator_id: Mapped[int] = mapped_column(Integer, index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    ship_to: Mapped[str] = mapped_column(String(400))  # the creator's address, as they wrote it
    note: Mapped[str] = mapped_column(String(300), default="")
    # requested | approved | rejected | shipped
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ShowcaseItem(Base):
    """A product on a creator's showcase (their own shop tab)."""

    __tablename__ = "showcase_item"
    __table_args__ = (UniqueConstraint("creator_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(
        ForeignKey("creator.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- market cell ---------------------------------------------------------------------------


class CreatorTouch(Base):
    """The last creator who led a shopper to a product (a video, a live room, a showcase or
    a creator link); one row per shopper and product, overwritten by the next touch."""

    __tablename__ = "creator_touch"
    __table_args__ = (UniqueConstraint("shopper_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(Integer, index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    creator_id: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(10))  # TOUCH_SOURCES
    source_id: Mapped[int | None] = mapped_column(Integer)  # video or room id
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Commission(Base):
    """What one order line earns its creator. The unique line keeps a line from ever paying
    two creators (or one creator twice, when OrderPaid is delivered again)."""

    __tablename__ = "commission"
    __table_args__ = (
        UniqueConstraint("order_line_id"),
        CheckConstraint("reversed_minor BETWEEN 0 AND amount_minor", name="reversal_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    order_line_id: Mapped[int] = mapped_column(Integer)
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
