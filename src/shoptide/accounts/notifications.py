"""A shopper's inbox: short messages other domains leave for them ("the live room you
asked about has started"). Rows live in the shopper's cell."""

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.models import Notification
from shoptide.db import utcnow

INBOX_SIZE = 50


def notify(session: AsyncSession, *, user_id: int, title: str, link: str = "") -> None:
    session.add(Notification(user_id=user_id, title=title[:200], link=link[:300]))


async def inbox(
    session: AsyncSession, *, user_id: int, limit: int = INBOX_SIZE
) -> Sequence[Notification]:
    return (
        await session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    ).all()


async def unread_count(session: AsyncSession, *, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return count or 0


async def mark_all_read(session: AsyncSession, *, user_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
