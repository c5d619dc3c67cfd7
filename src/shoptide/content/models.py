"""Short videos, their tagged products, likes and comments (in the market's cell), the
engagement signals the feed learns from, and the per-market blocked-words list (global)."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoptide.db import Base, BigKey, UTCDateTime, utcnow

VIDEO_STATUSES = ("processing", "ready", "failed", "removed")
MAX_TAGGED_PRODUCTS = 6
ENGAGEMENT_KINDS = ("view", "like", "unlike", "comment", "share", "watch", "click", "purchase")


class Video(Base):
    """An uploaded clip; playable once transcoding made its HLS renditions and poster."""

    __tablename__ = "video"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_code: Mapped[str] = mapped_column(String(2), index=True)
    host_user_id: Mapped[int] = mapped_column(Integer, index=True)  # global user (merchant)
    shop_id: Mapped[int | None] = mapped_column(Integer, index=True)
    caption: Mapped[str] = mapped_column(String(2200), default="")
    status: Mapped[str] = mapped_column(String(12), default="processing", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent, while processing
    error: Mapped[str] = mapped_column(String(300), default="")
    # paths relative to Settings.media_dir
    upload_path: Mapped[str] = mapped_column(String(200), default="")
    playlist_path: Mapped[str] = mapped_column(String(200), default="")
    poster_path: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    share_count: Mapped[int] = mapped_column(Integer, default=0)
    watch_ms_total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    products: Mapped[list["VideoProduct"]] = relationship(
        order_by="VideoProduct.position", cascade="all, delete-orphan"
    )


class VideoProduct(Base):
    __tablename__ = "video_product"
    __table_args__ = (UniqueConstraint("video_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)  # catalog lives in the global cell
    position: Mapped[int] = mapped_column(Integer, default=0)


class VideoLike(Base):
    __tablename__ = "video_like"
    __table_args__ = (UniqueConstraint("video_id", "shopper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VideoComment(Base):
    __tablename__ = "video_comment"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    author_name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="visible")  # visible|removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class EngagementEvent(Base):
    """One signal for the feed: who did what with which video or live room, and when."""

    __tablename__ = "engagement_event"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    subject_kind: Mapped[str] = mapped_column(String(5))  # video|live
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    market_code: Mapped[str] = mapped_column(String(2))
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)  # None: signed out
    watch_ms: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class BlockedWord(Base):
    """Words an operator blocks in one market's comments (global cell)."""

    __tablename__ = "blocked_word"
    __table_args__ = (UniqueConstraint("market_code", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("market.code"), index=True)
    word: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"{self.market_code}: {self.word}"
