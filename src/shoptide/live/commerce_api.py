"""Buying and bargaining in a live room over the JSON API (apps, and the load tests)."""

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from fastapi.responses import JSONResponse

from shoptide.checkout.schemas import (
    CheckoutRead,
    attempt_from_body,
    checkout_response,
    checkout_responses,
)
from shoptide.deps import (
    CurrentMarket,
    CurrentSeat,
    CurrentShopper,
    DatabasesDep,
    GatewayDep,
    SettingsDep,
)
from shoptide.ids import Id
from shoptide.live import selling
from shoptide.live.deps import HubDep
from shoptide.live.drawer import RoomOrder
from shoptide.live.schemas import (
    CounterAnswerIn,
    DealIn,
    DealRead,
    OfferAnswerIn,
    OfferIn,
    OfferRead,
    RoomOrderIn,
)

router = APIRouter(prefix="/live/{public_name}", tags=["live"])


@router.post(
    "/orders",
    response_model=CheckoutRead,
    status_code=status.HTTP_201_CREATED,
    responses=checkout_responses(
        unchanged="stock and deal", conflict="Sold out, deal ended or offer already used"
    ),
)
async def buy(
    public_name: str,
    body: RoomOrderIn,
    response: Response,
    user: CurrentShopper,
    market: CurrentMarket,
    databases: DatabasesDep,
    gateway: GatewayDep,
    hub: HubDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=100)],
) -> CheckoutRead | JSONResponse:
    """Buy one line in the room, without the cart; the room is the order's source."""
    attempt = attempt_from_body(
        body, key=idempotency_key, shopper_id=user.user_id, market=market, settings=settings
    )
    result, _ = await selling.buy(
        databases,
        gateway,
        hub,
        public_name=public_name,
        buyer=user,
        attempt=attempt,
        order=RoomOrder(body.sku, body.quantity, body.deal_id, body.offer_id),
        card_number=body.card_number,
    )
    return checkout_response(result, market, response)


# --- the viewer's offers ------------------------------------------------------------------


@router.post("/offers", response_model=OfferRead, status_code=status.HTTP_201_CREATED)
async def make_offer(
    public_name: str, body: OfferIn, user: CurrentShopper, databases: DatabasesDep, hub: HubDep
) -> OfferRead:
    """Offer a price for the pinned product; the host accepts, rejects or counters."""
    offer, locale = await selling.make_offer(
        databases, hub, public_name, user=user, sku=body.sku, price=body.price
    )
    return OfferRead.of(offer, locale)


@router.post("/offers/{offer_id}/counter", response_model=OfferRead)
async def answer_counter(
    public_name: str,
    offer_id: Id,
    body: CounterAnswerIn,
    user: CurrentShopper,
    databases: DatabasesDep,
    hub: HubDep,
) -> OfferRead:
    """Take or decline the host's counter-offer."""
    offer, locale = await selling.answer_counter(
        databases, hub, public_name, user=user, offer_id=offer_id, take=body.take
    )
    return OfferRead.of(offer, locale)


# --- the host's side ----------------------------------------------------------------------


@router.post("/deals", response_model=DealRead, status_code=status.HTTP_201_CREATED)
async def start_deal(
    public_name: str, body: DealIn, seat: CurrentSeat, databases: DatabasesDep, hub: HubDep
) -> DealRead:
    """Start a flash deal in your live room: its units leave the shelf until it ends."""
    view, locale = await selling.start_deal(
        databases,
        hub,
        public_name,
        shop_id=seat.shop.id,
        sku=body.sku,
        price=body.price,
        quantity=body.quantity,
        seconds=body.seconds,
        per_viewer=body.per_viewer_limit,
    )
    return DealRead.of(view, locale)


@router.post("/deals/{deal_id}/end", status_code=status.HTTP_200_OK)
async def end_deal(
    public_name: str, deal_id: Id, seat: CurrentSeat, databases: DatabasesDep, hub: HubDep
) -> dict[str, int]:
    """End a flash deal now; unsold units go back to the shelf."""
    returned = await selling.end_deal(
        databases, hub, public_name, shop_id=seat.shop.id, deal_id=deal_id
    )
    return {"returned_to_shelf": returned}


@router.post("/offers/{offer_id}/answer", response_model=OfferRead)
async def answer_offer(
    public_name: str,
    offer_id: Id,
    body: OfferAnswerIn,
    seat: CurrentSeat,
    databases: DatabasesDep,
    hub: HubDep,
) -> OfferRead:
    """Accept, reject or counter a viewer's offer in your live room."""
    offer, locale = await selling.answer_offer(
        databases,
        hub,
        public_name,
        shop_id=seat.shop.id,
        offer_id=offer_id,
        action=body.action,
        counter_price=body.counter_price,
    )
    return OfferRead.of(offer, locale)
