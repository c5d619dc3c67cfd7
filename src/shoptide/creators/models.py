"""Creators (global cell) and their touches (market cell, next to the orders they lead to)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, UTCDateTime, utcnow

TOUCH_SOURCES = ("video", "live", "showcase", "link")


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
