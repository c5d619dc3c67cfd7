"""The For You feed in the JSON API: a served page, the events of its items, follows.

Signed-in shoppers send their bearer token; a signed-out client keeps the `visitor` its
first page returned and sends it back in X-Feed-Visitor (with its events and next pages).
"""

import time
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from shoptide.deps import (
    OPTIONAL_BEARER,
    CellWrite,
    CurrentMarket,
    CurrentShopper,
    DatabasesDep,
    GlobalRead,
)
from shoptide.feed import service as feed_service
from shoptide.feed import serving
from shoptide.feed.deps import ApiViewer, FeedEngineDep
from shoptide.feed.schemas import FeedEventsIn, FeedPageRead, FollowRead, feed_item_read
from shoptide.ids import Id

public_router = APIRouter(prefix="/feed", tags=["feed"])
router = APIRouter(prefix="/feed", tags=["feed"])  # signed-in shoppers

MAX_PAGE_SIZE = 30


@public_router.get("", response_model=FeedPageRead, openapi_extra=OPTIONAL_BEARER)
async def get_feed(
    viewer: ApiViewer,
    market: CurrentMarket,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
) -> FeedPageRead:
    """The next page of the viewer's For You feed in the market (a shopper's own market;
    others name it with `market`). Report what the viewer did with its items to
    POST /feed/events with its `page_id` within the hour."""
    served = await serving.serve(
        databases,
        engine,
        viewer=viewer.viewer,
        market=market.code,
        shopper_id=viewer.shopper_id,
        at=time.time(),
        size=size,
    )
    return FeedPageRead(
        page_id=served.page_id,
        market=market.code,
        visitor=viewer.visitor or None,
        items=[
            feed_item_read(entry, currency=market.currency, locale=market.locale)
            for entry in served.items
        ],
    )


@public_router.post(
    "/events",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=OPTIONAL_BEARER,
    responses={
        404: {"description": "The page is not this viewer's, or it has expired (after an hour)"},
        422: {"description": "An event names an item that was not on the page; nothing logged"},
    },
)
async def report_events(
    body: FeedEventsIn,
    viewer: ApiViewer,
    engine: FeedEngineDep,
    databases: DatabasesDep,
) -> Response:
    """Impressions, watches (value: milliseconds), skips, clicks and shares of the items
    of a page this viewer was served; anything else is refused and nothing is logged."""
    await serving.take_events(
        databases,
        engine,
        viewer=viewer.viewer,
        page_id=body.page_id,
        events=[event.reported() for event in body.events],
        at=time.time(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/follows/{host_id}", response_model=FollowRead)
async def follow(
    host_id: Id, user: CurrentShopper, market: CurrentMarket, global_: GlobalRead, cell: CellWrite
) -> FollowRead:
    """Follow a host (the `host_id` of a feed item): their videos and rooms come first."""
    await feed_service.follow_host(
        global_, cell, follower_id=user.user_id, host_id=host_id, market=market.code
    )
    return FollowRead(host_id=host_id, following=True)


@router.delete("/follows/{host_id}", response_model=FollowRead)
async def unfollow(host_id: Id, user: CurrentShopper, cell: CellWrite) -> FollowRead:
    await feed_service.unfollow(cell, follower_id=user.user_id, host_id=host_id)
    return FollowRead(host_id=host_id, following=False)
