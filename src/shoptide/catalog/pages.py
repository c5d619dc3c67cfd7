from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from shoptide.catalog import flows, service, shelf
from shoptide.deps import CellRead, DatabasesDep, GlobalRead
from shoptide.ids import Id
from shoptide.web.rendering import PageDep

public_router = APIRouter()

SortParam = Annotated[str, Query(pattern="^(popular|price_asc|price_desc|newest)$")]
PageParam = Annotated[int, Query(ge=1, le=10_000)]


@public_router.get("/", response_class=HTMLResponse)
async def home(page: PageDep, session: GlobalRead) -> HTMLResponse:
    found = await shelf.shelf_page(session, market=page.market.code, per_page=24)
    return page.render("catalog/home.html", shelf=found.shelf, categories=found.categories)


@public_router.get("/c/{slug}", response_class=HTMLResponse)
async def category(
    slug: str, page: PageDep, session: GlobalRead, sort: SortParam = "popular", p: PageParam = 1
) -> HTMLResponse:
    found = await shelf.shelf_page(
        session, market=page.market.code, category=slug, sort=sort, page=p
    )
    chosen = found.shelf.category
    return page.render(
        "catalog/shelf.html",
        shelf=found.shelf,
        heading=chosen.name if chosen else "",
        sort=sort,
        sorts=shelf.SORTS,
        base_url=f"/c/{slug}?sort={sort}",
        categories=found.categories,
        current=chosen,
    )


@public_router.get("/search", response_class=HTMLResponse)
async def search(
    page: PageDep,
    session: GlobalRead,
    q: Annotated[str, Query(max_length=100)] = "",
    sort: SortParam = "popular",
    p: PageParam = 1,
) -> HTMLResponse:
    found = await shelf.shelf_page(
        session, market=page.market.code, query=q or None, sort=sort, page=p
    )
    return page.render(
        "catalog/shelf.html",
        shelf=found.shelf,
        heading=page.gettext("Results for “%(q)s”", q=q) if q else page.gettext("All products"),
        q=q,
        sort=sort,
        sorts=shelf.SORTS,
        base_url=f"/search?q={q}&sort={sort}",
        categories=found.categories,
        current=None,
    )


@public_router.get("/p/{product_id}", response_class=HTMLResponse)
async def product(
    product_id: Id,
    page: PageDep,
    session: GlobalRead,
    cell: CellRead,
    databases: DatabasesDep,
    creator: Annotated[str | None, Query(max_length=40, description="A creator code")] = None,
) -> HTMLResponse:
    """With ?creator=code (a creator's link) the creator touches the shopper: shown as who
    recommended the product, and credited when it is added to the cart."""
    found = await flows.product_page(
        databases,
        session,
        cell,
        product_id,
        market=page.market,
        user=page.user,
        visit=page.request.session,
        creator_code=creator,
    )
    return page.render(
        "catalog/product.html",
        product=found.on_sale.product,
        variants=found.on_sale.variants,
        listings=found.on_sale.listings,
        stock=found.on_sale.stock,
        max_quantity=service.MAX_LINE_QUANTITY,
        recommender=found.recommender,
    )
