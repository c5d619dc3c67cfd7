"""Live rooms and everything that happens in them, in the room's market cell (its
viewers, their orders and the flash deals' stock are there too)."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoptide.db import Base, BigKey, UTCDateTime, utcnow

# scheduled → rehearsal (host only) → live → ended; scheduled → cancelled
ROOM_STATUSES = ("scheduled", "rehearsal", "live", "ended", "cancelled")
REPLAY_STATUSES = ("none", "processing", "ready", "failed")
OFFER_STATUSES = ("pending", "accepted", "rejected", "countered", "used", "expired")


class LiveRoom(Base):
    __tablename__ = "live_room"
    __table_args__ = (UniqueConstraint("public_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_code: Mapped[str] = mapped_column(String(2), index=True)
    # the stream's name on the media server and in HLS URLs, e.g. "us-k3v9q2xw7d"
    public_name: Mapped[str] = mapped_column(String(40))
    host_user_id: Mapped[int] = mapped_column(Integer, index=True)  # global user (merchant)
    shop_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(120))
    cover_path: Mapped[str] = mapped_column(String(200), default="")  # under media_dir
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="scheduled", index=True)
    rehearsal: Mapped[bool] = mapped_column(Boolean, default=False)  # next publish is private
    # SHA-256 of the secret stream key; None when revoked
    stream_key_hash: Mapped[str | None] = mapped_column(String(64))
    stream_key_hint: Mapped[str] = mapped_column(String(8), default="")  # last characters
    publishing: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replay_status: Mapped[str] = mapped_column(String(10), default="none")
    replay_path: Mapped[str] = mapped_column(String(200), default="")  # under media_dir
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    products: Mapped[list["RoomProduct"]] = relationship(
        order_by="RoomProduct.position", cascade="all, delete-orphan", lazy="selectin"
    )


class RoomProduct(Base):
    """A product the host means to sell in the room."""

    __tablename__ = "room_product"
    __table_args__ = (UniqueConstraint("room_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)  # catalog lives in the global cell
    position: Mapped[int] = mapped_column(Integer, default=0)


class RoomPin(Base):
    """A product pinned for a while; in the replay each pin is a chapter."""

    __tablename__ = "room_pin"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unpinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FlashDeal(Base):
    """A live-only price for a limited quantity. Its units sit in a stock pool of their
    own (inventory), taken from the shelf when the deal starts and put back when it ends."""

    __tablename__ = "flash_deal"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)  # |ended
    # units one viewer may buy at the deal price; 0: as many as the deal holds
    per_viewer_limit: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DealBuyer(Base):
    """Units a viewer holds or bought at a deal's price: one row, raised with a conditional
    upsert, so concurrent checkouts of one viewer can't pass the deal's limit together."""

    __tablename__ = "deal_buyer"
    __table_args__ = (UniqueConstraint("deal_id", "shopper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("flash_deal.id", ondelete="CASCADE"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    units: Mapped[int] = mapped_column(Integer, default=0)


class DealClaim(Base):
    """A checkout's units of a deal, to give back to its buyer's count if it fails."""

    __tablename__ = "deal_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(BigKey, index=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("flash_deal.id", ondelete="CASCADE"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    units: Mapped[int] = mapped_column(Integer)


class Offer(Base):
    """A viewer's bargain on a pinned product; accepted, it is a personal price for a while."""

    __tablename__ = "live_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    list_price_minor: Mapped[int] = mapped_column(BigInteger)
    offered_minor: Mapped[int] = mapped_column(BigInteger)
    counter_minor: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkout_id: Mapped[int | None] = mapped_column(BigKey)  # the checkout that used it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoomComment(Base):
    __tablename__ = "room_comment"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    # shoppers live in this cell, hosts and staff in the global one
    author_cell: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(120))
    author_role: Mapped[str] = mapped_column(String(10), default="viewer")  # viewer|host|moderator
    body: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="visible")  # visible|deleted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RoomMute(Base):
    __tablename__ = "room_mute"
    __table_args__ = (UniqueConstraint("room_id", "shopper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    muted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomModerator(Base):
    """A shopper of the room's market the host trusts to mute viewers and delete comments."""

    __tablename__ = "room_moderator"
    __table_args__ = (UniqueConstraint("room_id", "shopper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomReminder(Base):
    """A shopper tapped "remind me"; notified_at is set when the room goes live."""

    __tablename__ = "room_reminder"
    __table_args__ = (UniqueConstraint("room_id", "shopper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id", ondelete="CASCADE"), index=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
