"""Buying and bargaining in a live room over the JSON API (apps, and the load tests)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.checkout.api import attempt_for, checkout_response, save_new_address
from shoptide.checkout.schemas import CheckoutIn, CheckoutRead
from shoptide.deps import (
    CurrentCell,
    CurrentMarket,
    CurrentSeat,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    SettingsDep,
)
from shoptide.live import commerce, selling
from shoptide.live.commerce import RoomOrder
from shoptide.live.models import Offer

router = APIRouter(prefix="/live/{public_name}", tags=["live"])


class RoomOrderIn(CheckoutIn):
    sku: str = Field(max_length=64)
    quantity: int = Field(default=1, ge=1, le=99)
    deal_id: int | None = Field(default=None, description="Buy at this flash deal's price")
    offer_id: int | None = Field(default=None, description="Use your accepted offer")


@router.post(
    "/orders",
    response_model=CheckoutRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Replay of an earlier request with the same key"},
        402: {"description": "Payment declined; stock and deal unchanged"},
        409: {"description": "Sold out, deal ended or offer already used"},
    },
)
async def buy(
    request: Request,
    public_name: str,
    body: RoomOrderIn,
    response: Response,
    user: CurrentShopper,
    market: CurrentMarket,
    cell: CurrentCell,
    databases: DatabasesDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=100)],
) -> CheckoutRead | JSONResponse:
    """Buy one line in the room, without the cart; the room is the order's source."""
    attempt = await attempt_for(databases, settings, cell, user, market, body, idempotency_key)
    order = RoomOrder(body.sku, body.quantity, body.deal_id, body.offer_id)
    result, item = await commerce.buy(
        databases,
        gateway,
        public_name=public_name,
        attempt=attempt,
        order=order,
        card_number=body.card_number,
    )
    if result.paid and not result.replayed:
        await save_new_address(databases, cell, user.user_id, market.code, body)
        await selling.announce_purchase(
            request.app.state.live_hub, databases, public_name, user, item, order
        )
    return checkout_response(result, market, response)


class OfferIn(BaseModel):
    sku: str = Field(max_length=64)
    price: str = Field(max_length=20, examples=["12.50"], description="In the room's currency")


class OfferRead(BaseModel):
    id: int
    status: str
    offered: MoneyRead
    counter: MoneyRead | None
    valid_until: datetime | None


def _offer_read(offer: Offer, locale: str) -> OfferRead:
    return OfferRead(
        id=offer.id,
        status=offer.status,
        offered=money_read(offer.offered_minor, offer.currency, locale),
        counter=money_read(offer.counter_minor, offer.currency, locale)
        if offer.counter_minor
        else None,
        valid_until=offer.valid_until,
    )


@router.post("/offers", response_model=OfferRead, status_code=status.HTTP_201_CREATED)
async def make_offer(
    request: Request,
    public_name: str,
    body: OfferIn,
    user: CurrentShopper,
    databases: DatabasesDep,
) -> OfferRead:
    """Offer a price for the pinned product; the host accepts, rejects or counters."""
    offer, locale = await selling.make_offer(
        databases,
        request.app.state.live_hub,
        public_name,
        user=user,
        sku=body.sku,
        price=body.price,
    )
    return _offer_read(offer, locale)


class CounterAnswerIn(BaseModel):
    take: bool = Field(description="true takes the host's counter-offer, false declines it")


@router.post("/offers/{offer_id}/counter", response_model=OfferRead)
async def answer_counter(
    request: Request,
    public_name: str,
    offer_id: int,
    body: CounterAnswerIn,
    user: CurrentShopper,
    databases: DatabasesDep,
) -> OfferRead:
    """Take or decline the host's counter-offer."""
    offer, locale = await selling.answer_counter(
        databases,
        request.app.state.live_hub,
        public_name,
        user=user,
        offer_id=offer_id,
        take=body.take,
    )
    return _offer_read(offer, locale)


# --- the host's side ----------------------------------------------------------------------


class DealIn(BaseModel):
    sku: str = Field(max_length=64)
    price: str = Field(max_length=20, examples=["9.99"], description="In the room's currency")
    quantity: int = Field(description="Units set aside from the shelf for the deal")
    seconds: int = Field(description="How long the deal runs, 10 to 3600")
    per_viewer_limit: int = Field(default=0, description="Units one viewer may buy; 0: no limit")


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


def _deal_read(view: commerce.DealView, locale: str) -> DealRead:
    deal, price = view.deal, view.sellable.price
    return DealRead(
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


@router.post("/deals", response_model=DealRead, status_code=status.HTTP_201_CREATED)
async def start_deal(
    request: Request, public_name: str, body: DealIn, seat: CurrentSeat, databases: DatabasesDep
) -> DealRead:
    """Start a flash deal in your live room: its units leave the shelf until it ends."""
    view, locale = await selling.start_deal(
        databases,
        request.app.state.live_hub,
        public_name,
        shop_id=seat.shop.id,
        sku=body.sku,
        price=body.price,
        quantity=body.quantity,
        seconds=body.seconds,
        per_viewer=body.per_viewer_limit,
    )
    return _deal_read(view, locale)


@router.post("/deals/{deal_id}/end", status_code=status.HTTP_200_OK)
async def end_deal(
    request: Request, public_name: str, deal_id: int, seat: CurrentSeat, databases: DatabasesDep
) -> dict[str, int]:
    """End a flash deal now; unsold units go back to the shelf."""
    returned = await selling.end_deal(
        databases, request.app.state.live_hub, public_name, shop_id=seat.shop.id, deal_id=deal_id
    )
    return {"returned_to_shelf": returned}


class OfferAnswerIn(BaseModel):
    action: str = Field(pattern="^(accept|reject|counter)$")
    counter_price: str = Field(default="", max_length=20, description="For action=counter")


@router.post("/offers/{offer_id}/answer", response_model=OfferRead)
async def answer_offer(
    request: Request,
    public_name: str,
    offer_id: int,
    body: OfferAnswerIn,
    seat: CurrentSeat,
    databases: DatabasesDep,
) -> OfferRead:
    """Accept, reject or counter a viewer's offer in your live room."""
    offer, locale = await selling.answer_offer(
        databases,
        request.app.state.live_hub,
        public_name,
        shop_id=seat.shop.id,
        offer_id=offer_id,
        action=body.action,
        counter_price=body.counter_price,
    )
    return _offer_read(offer, locale)
