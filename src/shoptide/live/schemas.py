"""What the JSON API says about live rooms, and what it takes to buy and bargain in one."""

from datetime import datetime

from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.checkout.schemas import CheckoutIn
from shoptide.ids import INT4_MAX, Id
from shoptide.live.deals import DealView
from shoptide.live.models import LiveRoom, Offer, RoomComment


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


# --- buying and bargaining -----------------------------------------------------------------


class RoomOrderIn(CheckoutIn):
    sku: str = Field(max_length=64)
    quantity: int = Field(default=1, ge=1, le=99)
    deal_id: Id | None = Field(default=None, description="Buy at this flash deal's price")
    offer_id: Id | None = Field(default=None, description="Use your accepted offer")


class OfferIn(BaseModel):
    sku: str = Field(max_length=64)
    price: str = Field(max_length=20, examples=["12.50"], description="In the room's currency")


class OfferRead(BaseModel):
    id: int
    status: str
    offered: MoneyRead
    counter: MoneyRead | None
    valid_until: datetime | None

    @classmethod
    def of(cls, offer: Offer, locale: str) -> "OfferRead":
        return cls(
            id=offer.id,
            status=offer.status,
            offered=money_read(offer.offered_minor, offer.currency, locale),
            counter=money_read(offer.counter_minor, offer.currency, locale)
            if offer.counter_minor
            else None,
            valid_until=offer.valid_until,
        )


class CounterAnswerIn(BaseModel):
    take: bool = Field(description="true takes the host's counter-offer, false declines it")


class OfferAnswerIn(BaseModel):
    action: str = Field(pattern="^(accept|reject|counter)$")
    counter_price: str = Field(default="", max_length=20, description="For action=counter")


class DealIn(BaseModel):
    sku: str = Field(max_length=64)
    price: str = Field(max_length=20, examples=["9.99"], description="In the room's currency")
    quantity: int = Field(le=INT4_MAX, description="Units set aside from the shelf for the deal")
    seconds: int = Field(le=INT4_MAX, description="How long the deal runs, 10 to 3600")
    per_viewer_limit: int = Field(
        default=0, le=INT4_MAX, description="Units one viewer may buy; 0: no limit"
    )


class DealRead(BaseModel):
    id: int
    sku: str
    title: str
    price: MoneyRead
    list_price: MoneyRead
    quantity: int
    per_viewer_limit: int
    remaining: int
    ends_at: datetime

    @classmethod
    def of(cls, view: DealView, locale: str) -> "DealRead":
        deal, price = view.deal, view.sellable.price
        return cls(
            id=deal.id,
            sku=view.sellable.sku,
            title=view.sellable.title,
            price=money_read(deal.price_minor, deal.currency, locale),
            list_price=money_read(price.amount, price.currency, locale),
            quantity=deal.quantity,
            per_viewer_limit=deal.per_viewer_limit,
            remaining=view.remaining,
            ends_at=deal.ends_at,
        )
