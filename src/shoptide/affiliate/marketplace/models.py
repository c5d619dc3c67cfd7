"""Creators' showcases (global cell): the products on a creator's own shop tab."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, UTCDateTime, utcnow


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
