"""A creator's public showcase (/@handle): what they recommend, priced in the viewer's
market, and their videos there; a product opened from it touches the shopper."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from shoptide.affiliate.showcase import service as showcase
from shoptide.creators import flows as creators_flows
from shoptide.deps import CellRead, DatabasesDep, GlobalRead
from shoptide.ids import Id
from shoptide.web.rendering import PageDep

public_router = APIRouter()


@public_router.get("/@{handle}", response_class=HTMLResponse)
async def public_showcase(
    handle: str, page: PageDep, session: GlobalRead, cell: CellRead
) -> HTMLResponse:
    """What the creator recommends, priced in the viewer's market, and their videos there."""
    found = await showcase.public(session, cell, handle=handle, market=page.market.code)
    return page.render(
        "affiliate/showcase.html",
        creator=found.creator,
        products=found.products,
        videos=found.videos,
    )


@public_router.get("/@{handle}/p/{product_id}")
async def showcase_product(
    handle: str, product_id: Id, page: PageDep, session: GlobalRead, databases: DatabasesDep
) -> RedirectResponse:
    """A product opened from the showcase: the creator touches the shopper."""
    await creators_flows.follow(
        databases,
        session,
        page.request.session,
        user=page.user,
        code=handle,
        product_id=product_id,
        source_kind="showcase",
    )
    return RedirectResponse(f"/p/{product_id}", status_code=303)
