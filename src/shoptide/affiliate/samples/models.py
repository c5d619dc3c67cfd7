"""Free samples a creator asks for under an invitation (global cell)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, UTCDateTime, utcnow


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
