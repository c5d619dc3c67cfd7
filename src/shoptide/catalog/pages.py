from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service, shelf
from shoptide.db import Databases
from shoptide.deps import CellRead, DatabasesDep, GlobalRead
from shoptide.web.rendering import Page, PageDep

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


# Who recommended the product to the shopper: the creator whose link (?creator=code) they
# followed, or whose touch is in force for them. Creators stand above the catalog, so the
# app hands that step in as `app.state.product_recommender`; without one, no one is shown.
# (databases, the global session, the market's cell session, the page, product id, code)
ProductRecommender = Callable[
    [Databases, AsyncSession, AsyncSession, Page, int, str | None], Awaitable[object | None]
]


@public_router.get("/p/{product_id}", response_class=HTMLResponse)
async def product(
    product_id: int,
    page: PageDep,
    session: GlobalRead,
    cell: CellRead,
    databases: DatabasesDep,
    creator: Annotated[str | None, Query(max_length=40, description="A creator code")] = None,
) -> HTMLResponse:
    """With ?creator=code (a creator's link) the creator touches the shopper: shown as who
    recommended the product, and credited when it is added to the cart."""
    found = await service.on_sale(session, cell, product_id, market=page.market.code)
    recommend: ProductRecommender | None = getattr(
        page.request.app.state, "product_recommender", None
    )
    recommender = (
        await recommend(databases, session, cell, page, product_id, creator) if recommend else None
    )
    return page.render(
        "catalog/product.html",
        product=found.product,
        variants=found.variants,
        listings=found.listings,
        stock=found.stock,
        max_quantity=service.MAX_LINE_QUANTITY,
        recommender=recommender,
    )
