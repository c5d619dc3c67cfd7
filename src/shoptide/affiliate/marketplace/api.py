"""The marketplace's JSON route (creators): products on sale in the creator's market that
pay them commission. Rates travel in percent."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from shoptide.affiliate.marketplace import service as marketplace
from shoptide.affiliate.marketplace.schemas import MarketplacePageRead, marketplace_page_read
from shoptide.creators.deps import CreatorMarket, CurrentCreator
from shoptide.deps import GlobalRead
from shoptide.ids import INT4_MAX

router = APIRouter(prefix="/creator", tags=["creator: affiliate"])


@router.get("/marketplace", response_model=MarketplacePageRead)
async def search_marketplace(
    seat: CurrentCreator,
    market: CreatorMarket,
    session: GlobalRead,
    category: Annotated[str | None, Query(max_length=80, description="Category slug")] = None,
    min_rate_percent: Annotated[Decimal | None, Query(examples=["10"])] = None,
    price_min: Annotated[Decimal | None, Query(description="In your market's currency")] = None,
    price_max: Annotated[Decimal | None, Query(description="In your market's currency")] = None,
    min_sales: Annotated[int | None, Query(ge=0, le=INT4_MAX, description="Units sold")] = None,
    sort: Annotated[str, Query(pattern="^(earnings|rate|sales|price|newest)$")] = "earnings",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=marketplace.MAX_PER_PAGE)] = 24,
) -> MarketplacePageRead:
    """Products on sale in your market that pay you commission, by estimated earnings per
    sale unless `sort` says otherwise."""
    filters = marketplace.parse_filters(
        currency=market.currency,
        category=category,
        min_rate=min_rate_percent,
        price_min=price_min,
        price_max=price_max,
        min_sales=min_sales,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    found = await marketplace.search(
        session, creator=seat.creator, market=market.code, filters=filters
    )
    return marketplace_page_read(found, market.locale)
