"""Creators' earnings and payout requests; a shop's creators and their sales."""

from fastapi import APIRouter, status

from shoptide.affiliate.earnings import flows
from shoptide.affiliate.earnings.schemas import (
    EarningsRead,
    PayoutIn,
    PayoutRead,
    ShopPerformanceRead,
    earnings_read,
    payout_read,
    shop_performance_read,
)
from shoptide.affiliate.payouts import flows as payouts
from shoptide.creators.deps import CurrentCreator
from shoptide.deps import CurrentMarket, CurrentSeat, DatabasesDep

router = APIRouter()


@router.get("/creator/earnings", response_model=EarningsRead, tags=["creator: earnings"])
async def my_earnings(
    seat: CurrentCreator, databases: DatabasesDep, market: CurrentMarket
) -> EarningsRead:
    """Totals per currency (pending, settled and available, reversed, paid out) and the
    newest order lines you earn on, from every market."""
    found = await flows.creator_earnings(databases, creator_id=seat.creator.id)
    return earnings_read(found, market.locale)


@router.post(
    "/creator/payouts",
    response_model=PayoutRead,
    status_code=status.HTTP_201_CREATED,
    tags=["creator: earnings"],
    responses={
        404: {"description": "A line is not one of yours"},
        409: {"description": "A line is already paid out"},
        422: {"description": "No lines, or a line is not settled yet; nothing is paid"},
    },
)
async def request_payout(
    body: PayoutIn, seat: CurrentCreator, databases: DatabasesDep, market: CurrentMarket
) -> PayoutRead:
    """Be paid these settled lines of one market now, in one payout."""
    lines_market = (body.market or seat.creator.market_code).upper()
    payout = await payouts.request_payout(
        databases,
        creator_id=seat.creator.id,
        market=lines_market,
        commission_ids=body.commission_ids,
    )
    return payout_read(payout, lines_market, market.locale)


@router.get(
    "/seller/affiliate/creators", response_model=ShopPerformanceRead, tags=["seller: affiliate"]
)
async def shop_creators(
    seat: CurrentSeat, databases: DatabasesDep, market: CurrentMarket
) -> ShopPerformanceRead:
    """What each creator sold for the shop (X-Shop-Id), per currency, and what the platform
    owes the shop."""
    found = await flows.shop_performance(databases, shop_id=seat.shop.id)
    return shop_performance_read(found, market.locale)
