"""The For You feed's records: what viewers did with items (the event log the engine replays
and the ranker trains on), who follows which host, each item's cold-start stage (all in the
market's cell), and the ranker's training runs (global cell)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoptide.db import Base, BigKey, UTCDateTime, utcnow

STAGE_STATUSES = ("growing", "stopped", "open")
TRAINING_STATUSES = ("running", "champion", "rejected", "failed")


class FeedEvent(Base):
    """One signal: a viewer did something with an item (feed.items.ACTIONS)."""

    __tablename__ = "feed_event"
    __table_args__ = (Index("ix_feed_event_item_key_action", "item_key", "action"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    market_code: Mapped[str] = mapped_column(String(2))
    viewer: Mapped[str] = mapped_column(String(40), index=True)  # "user:12" | "visitor:<token>"
    # "video:12"; the (item_key, action) index serves look-ups by item_key alone too
    item_key: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(10))
    # WATCH: milliseconds watched; PURCHASE: amount in the market's minor units
    value: Mapped[float] = mapped_column(Float, default=0.0)
    # the served page the impression or interaction belongs to ("order:<id>" for purchases)
    page_id: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(12), default="")  # candidate source
    stage: Mapped[int] = mapped_column(Integer, default=-1)  # cold-start stage when served
    # the ranker's features at impression time, for training
    features: Mapped[list[float] | None] = mapped_column(JSON)


class Follow(Base):
    """A shopper follows a host (the user who posts videos or hosts rooms)."""

    __tablename__ = "follow"
    __table_args__ = (UniqueConstraint("follower_id", "host_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(Integer)  # a shopper of this cell
    host_id: Mapped[int] = mapped_column(Integer, index=True)  # a global user
    market_code: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemStage(Base):
    """Where an item stands on the cold-start traffic ladder, and why (for its merchant)."""

    __tablename__ = "item_stage"
    __table_args__ = (UniqueConstraint("item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(24))
    market_code: Mapped[str] = mapped_column(String(2))
    shop_id: Mapped[int] = mapped_column(Integer, index=True)
    stage: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # STAGE_STATUSES
    reason: Mapped[str] = mapped_column(String(300), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingRun(Base):
    """One training of the ranker (global cell): its progress, metrics and verdict."""

    __tablename__ = "training_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="running")  # TRAINING_STATUSES
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    message: Mapped[str] = mapped_column(String(300), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_path: Mapped[str] = mapped_column(String(200), default="")
