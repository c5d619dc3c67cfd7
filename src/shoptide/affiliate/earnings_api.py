"""Creators' earnings and payout requests; a shop's creators and their sales."""

from fastapi import APIRouter, status

from shoptide.affiliate import earnings, settlement
from shoptide.affiliate.deps import CurrentCreator
from shoptide.affiliate.earnings_schemas import (
    EarningsRead,
    PayoutIn,
    PayoutRead,
    ShopPerformanceRead,
    earnings_read,
    payout_read,
    shop_performance_read,
)
from shoptide.deps import CurrentMarket, CurrentSeat, DatabasesDep, GlobalRead
from shoptide.markets import service as markets_service

router = APIRouter()


@router.get("/creator/earnings", response_model=EarningsRead, tags=["creator: earnings"])
async def my_earnings(
    seat: CurrentCreator, databases: DatabasesDep, market: CurrentMarket
) -> EarningsRead:
    """Totals per currency (pending, settled and available, reversed, paid out) and the
    newest order lines you earn on, from every market."""
    found = await earnings.creator_earnings(databases, creator_id=seat.creator.id)
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
    body: PayoutIn,
    seat: CurrentCreator,
    databases: DatabasesDep,
    market: CurrentMarket,
    session: GlobalRead,
) -> PayoutRead:
    """Be paid these settled lines of one market now, in one payout."""
    lines_market = await markets_service.get(session, body.market or seat.creator.market_code)
    async with databases.session(databases.settings.cell_of_market(lines_market.code)) as cell:
        payout = await settlement.request_payout(
            cell, creator_id=seat.creator.id, commission_ids=body.commission_ids
        )
    return payout_read(payout, lines_market.code, market.locale)


@router.get(
    "/seller/affiliate/creators", response_model=ShopPerformanceRead, tags=["seller: affiliate"]
)
async def shop_creators(
    seat: CurrentSeat, databases: DatabasesDep, market: CurrentMarket
) -> ShopPerformanceRead:
    """What each creator sold for the shop (X-Shop-Id), per currency, and what the platform
    owes the shop."""
    found = await earnings.shop_performance(databases, shop_id=seat.shop.id)
    return shop_performance_read(found, market.locale)
