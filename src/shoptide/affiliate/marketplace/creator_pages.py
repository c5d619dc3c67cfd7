"""Creator Center → Marketplace: the products on sale in the creator's market that pay them
commission, filtered and sorted as the creator asks (by estimated earnings unless told)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shoptide.affiliate.desks import CreatorDeskDep, creator_page
from shoptide.affiliate.marketplace import service as marketplace
from shoptide.creators.deps import CreatorMarket

router = APIRouter(prefix="/creator")

FILTER_FIELDS = ("category", "min_rate", "price_min", "price_max", "min_sales", "sort")


@router.get("/marketplace", response_class=HTMLResponse)
async def marketplace_page(
    request: Request,
    desk: CreatorDeskDep,
    market: CreatorMarket,
    p: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    typed = {k: request.query_params.get(k, "").strip() for k in FILTER_FIELDS}
    browsing = await marketplace.browse(
        desk.session, creator=desk.seat.creator, market=market, typed=typed, page=p
    )
    query = urlencode({k: v for k, v in typed.items() if v})
    return await creator_page(
        desk,
        "marketplace.html",
        status_code=422 if browsing.error else 200,
        error=browsing.error,
        found=browsing.found,
        filters=typed,
        categories=browsing.categories,
        sorts=marketplace.SORTS,
        here=f"/creator/marketplace?{query}&p={browsing.found.page}",
        page_url=f"/creator/marketplace?{query}&p=",
    )
