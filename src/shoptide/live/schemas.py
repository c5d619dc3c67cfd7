"""What the JSON API says about live rooms."""

from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.live.models import LiveRoom, RoomComment


class RoomRead(BaseModel):
    public_name: str = Field(description="The room's name in URLs, e.g. us-3f9c2a7b1d")
    title: str
    market: str
    status: str = Field(description="scheduled, rehearsal, live, ended or cancelled")
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    peak_viewers: int
    socket_path: str = Field(description="The room's WebSocket, on this host")
    page_path: str

    @classmethod
    def of(cls, room: LiveRoom) -> "RoomRead":
        return cls(
            public_name=room.public_name,
            title=room.title,
            market=room.market_code,
            status=room.status,
            scheduled_at=room.scheduled_at,
            started_at=room.started_at,
            ended_at=room.ended_at,
            peak_viewers=room.peak_viewers,
            socket_path=f"/live/{room.public_name}/ws",
            page_path=f"/live/{room.public_name}",
        )


class CommentRead(BaseModel):
    id: int
    author: str
    role: str = Field(description="viewer, moderator or host")
    body: str
    at: datetime

    @classmethod
    def of(cls, comment: RoomComment) -> "CommentRead":
        return cls(
            id=comment.id,
            author=comment.author_name,
            role=comment.author_role,
            body=comment.body,
            at=comment.created_at,
        )
