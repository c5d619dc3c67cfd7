"""Creators' pages: joining, Creator Center's home and videos; and the shoppers' side, a
creator's public showcase (/@handle) whose product links touch the shopper."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.accounts.pages import sign_in
from shoptide.affiliate import attribution, creators, marketplace, signup
from shoptide.affiliate.deps import CreatorSeat, CurrentCreator
from shoptide.content import service as content_service
from shoptide.content.api import ensure_chosen
from shoptide.content.models import MAX_TAGGED_PRODUCTS
from shoptide.content.schemas import VideoCreate
from shoptide.db import Databases
from shoptide.deps import CellRead, CsrfChecked, DatabasesDep, GlobalRead
from shoptide.errors import DomainError
from shoptide.settings import GLOBAL_CELL
from shoptide.web.rendering import Page, PageDep

public_router = APIRouter()
router = APIRouter(prefix="/creator")  # Creator Center: signed-in creators


# --- joining ------------------------------------------------------------------------------


@public_router.get("/creators/join", response_class=HTMLResponse)
async def join_form(page: PageDep) -> HTMLResponse:
    return page.render("creator/join.html", form={"market": page.market.code})


@public_router.post("/creators/join", dependencies=[CsrfChecked], response_model=None)
async def join(
    request: Request,
    page: PageDep,
    databases: DatabasesDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=120)],
    handle: Annotated[str, Form(max_length=40)],
    market: Annotated[str, Form(max_length=2)],
) -> HTMLResponse | RedirectResponse:
    """A creator account and profile in one global transaction, then signed in."""
    try:
        async with databases.session(GLOBAL_CELL) as session:
            creator = await signup.join(
                session,
                email=email,
                password=password,
                display_name=display_name,
                handle=handle,
                market_code=market,
                passwords=request.app.state.passwords,
            )
    except DomainError as exc:
        typed = {"email": email, "display_name": display_name, "handle": handle, "market": market}
        return page.render(
            "creator/join.html", status_code=exc.status_code, error=exc.message, form=typed
        )
    sign_in(request, creator.user_id, GLOBAL_CELL)
    request.session["market"] = creator.market_code
    page.flash(f"Welcome, @{creator.handle}! Add products to your showcase to start earning.")
    return RedirectResponse("/creator", status_code=303)


# --- Creator Center -------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def home(
    page: PageDep, seat: CurrentCreator, session: GlobalRead, databases: DatabasesDep
) -> HTMLResponse:
    creator = seat.creator
    showcase = await marketplace.showcase(
        session, creator_id=creator.id, market=creator.market_code
    )
    videos = await content_service.list_for_host(databases, host_user_id=seat.user.user_id)
    return page.render(
        "creator/dashboard.html", seat=seat, showcase_count=len(showcase), video_count=len(videos)
    )


async def _videos_page(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    databases: Databases,
    *,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    creator = seat.creator
    return page.render(
        "creator/videos.html",
        status_code=status_code,
        seat=seat,
        videos=await content_service.list_for_host(databases, host_user_id=seat.user.user_id),
        showcase=await marketplace.showcase(
            session, creator_id=creator.id, market=creator.market_code
        ),
        max_tags=MAX_TAGGED_PRODUCTS,
        max_bytes=databases.settings.max_video_bytes,
        form=form or {"caption": "", "product_ids": []},
        error=error,
    )


@router.get("/videos", response_class=HTMLResponse)
async def videos(
    page: PageDep, seat: CurrentCreator, session: GlobalRead, databases: DatabasesDep
) -> HTMLResponse:
    return await _videos_page(page, seat, session, databases)


@router.post("/videos", dependencies=[CsrfChecked], response_model=None)
async def upload_video(
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
    video: Annotated[UploadFile, File()],
    caption: Annotated[str, Form(max_length=2200)] = "",
    product_ids: Annotated[list[int] | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    """A video in the creator's market, tagging products of their showcase only."""
    creator = seat.creator
    typed = {"caption": caption, "product_ids": product_ids or []}
    try:
        ensure_chosen(video)
        showcase = await marketplace.showcase(
            session, creator_id=creator.id, market=creator.market_code
        )
        await content_service.upload(
            databases,
            shop_id=None,
            host_user_id=seat.user.user_id,
            data=VideoCreate(
                market=creator.market_code, caption=caption, product_ids=product_ids or []
            ),
            file=video.file,
            filename=video.filename or "",
            allowed_products={item.product_id for item in showcase},
        )
    except DomainError as exc:
        status_code, error = exc.status_code, exc.message
        return await _videos_page(
            page, seat, session, databases, status_code=status_code, form=typed, error=error
        )
    page.request.app.state.dispatcher.nudge()  # start the transcode now, not at the next tick
    page.flash("Video uploaded. It is being processed; it goes live when it is ready.")
    return RedirectResponse("/creator/videos", status_code=303)


# --- a creator's public showcase ---------------------------------------------------------------


@public_router.get("/@{handle}", response_class=HTMLResponse)
async def showcase(handle: str, page: PageDep, session: GlobalRead, cell: CellRead) -> HTMLResponse:
    """What the creator recommends, priced in the viewer's market, and their videos there."""
    creator = await creators.get_by_handle(session, handle)
    market = page.market.code
    return page.render(
        "affiliate/showcase.html",
        creator=creator,
        products=await marketplace.showcase(session, creator_id=creator.id, market=market),
        videos=await content_service.ready_in_market(
            cell, market=market, host_user_id=creator.user_id
        ),
    )


@public_router.get("/@{handle}/p/{product_id}")
async def showcase_product(
    handle: str, product_id: int, page: PageDep, session: GlobalRead, databases: DatabasesDep
) -> RedirectResponse:
    """A product opened from the showcase: the creator touches the shopper."""
    await attribution.follow(
        databases,
        session,
        page.request.session,
        user=page.user,
        code=handle,
        product_id=product_id,
        source_kind="showcase",
    )
    return RedirectResponse(f"/p/{product_id}", status_code=303)
