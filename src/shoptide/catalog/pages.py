from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from shoptide.affiliate import attribution
from shoptide.affiliate.models import Creator
from shoptide.catalog import service
from shoptide.checkout.models import MAX_LINE_QUANTITY
from shoptide.deps import CellRead, DatabasesDep, GlobalRead
from shoptide.inventory import service as inventory_service
from shoptide.web.rendering import PageDep

public_router = APIRouter()

SortParam = Annotated[str, Query(pattern="^(popular|price_asc|price_desc|newest)$")]
PageParam = Annotated[int, Query(ge=1, le=10_000)]


@public_router.get("/", response_class=HTMLResponse)
async def home(page: PageDep, session: GlobalRead) -> HTMLResponse:
    shelf = await service.browse(session, market=page.market.code, per_page=24)
    return page.render(
        "catalog/home.html", shelf=shelf, categories=await service.list_categories(session)
    )


@public_router.get("/c/{slug}", response_class=HTMLResponse)
async def category(
    slug: str, page: PageDep, session: GlobalRead, sort: SortParam = "popular", p: PageParam = 1
) -> HTMLResponse:
    chosen = await service.get_category(session, slug)
    shelf = await service.browse(
        session, market=page.market.code, category_id=chosen.id, sort=sort, page=p
    )
    return page.render(
        "catalog/shelf.html",
        shelf=shelf,
        heading=chosen.name,
        sort=sort,
        sorts=service.SORTS,
        base_url=f"/c/{slug}?sort={sort}",
        categories=await service.list_categories(session),
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
    shelf = await service.browse(
        session, market=page.market.code, query=q or None, sort=sort, page=p
    )
    return page.render(
        "catalog/shelf.html",
        shelf=shelf,
        heading=page.gettext("Results for “%(q)s”", q=q) if q else page.gettext("All products"),
        q=q,
        sort=sort,
        sorts=service.SORTS,
        base_url=f"/search?q={q}&sort={sort}",
        categories=await service.list_categories(session),
        current=None,
    )


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
    item, listings = await service.get_for_market(session, product_id, market=page.market.code)
    recommender: Creator | None
    if creator is not None:
        recommender = await attribution.follow(
            databases,
            session,
            page.request.session,
            user=page.user,
            code=creator,
            product_id=product_id,
            source_kind="link",
        )
    else:
        recommender = await attribution.recommender(
            cell, session, user=page.user, product_id=product_id, market=page.market
        )
    stock = await inventory_service.levels(cell, listings, market=page.market.code)
    variants = [v for v in item.variants if v.id in listings]
    return page.render(
        "catalog/product.html",
        product=item,
        variants=variants,
        listings=listings,
        stock=stock,
        max_quantity=MAX_LINE_QUANTITY,
        recommender=recommender,
    )
