"""Creator Center: the marketplace of products that pay commission, the creator's showcase,
the invitations shops sent them and the free samples those offer.

Prices show in the creator's market (their currency and locale), whatever market the
browser last picked. Writes go through seller_pages.submit: one unit of work, a domain
error shows the page again with the message.
"""

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.affiliate import marketplace, plans
from shoptide.affiliate.deps import CreatorSeat, CurrentCreator
from shoptide.affiliate.seller_pages import Write, form_fields, submit
from shoptide.catalog import service as catalog_service
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, DatabasesDep, GlobalRead
from shoptide.errors import DomainError, InvalidInput
from shoptide.markets import service as markets_service
from shoptide.money import Money, format_money
from shoptide.web.rendering import Page, PageDep

router = APIRouter(prefix="/creator")

FILTER_FIELDS = ("category", "min_rate", "price_min", "price_max", "min_sales", "sort")


async def _render(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    template: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A Creator Center page, with money shown the way the creator's market writes it."""
    market = await markets_service.get(session, seat.creator.market_code)

    def money(amount: Money) -> str:
        return format_money(amount, market.locale)

    return page.render(
        f"creator/{template}",
        status_code=status_code,
        seat=seat,
        creator_market=market,
        money=money,
        percent=plans.format_rate,
        error=error,
        **context,
    )


def _back(target: str, default: str) -> str:
    """Where a form sends the creator back to: one of the Creator Center's own pages."""
    return target if target.startswith("/creator/") and "//" not in target else default


# --- marketplace --------------------------------------------------------------------------------


@router.get("/marketplace", response_class=HTMLResponse)
async def marketplace_page(
    request: Request,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    p: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    typed = {k: request.query_params.get(k, "").strip() for k in FILTER_FIELDS}
    market = await markets_service.get(session, seat.creator.market_code)
    try:
        filters = marketplace.parse_filters(
            currency=market.currency,
            category=typed["category"],
            min_rate=typed["min_rate"],
            price_min=typed["price_min"],
            price_max=typed["price_max"],
            min_sales=typed["min_sales"],
            sort=typed["sort"],
            page=p,
        )
        found = await marketplace.search(
            session, creator=seat.creator, market=market.code, filters=filters
        )
    except DomainError as exc:
        found = marketplace.MarketplacePage(items=[], total=0, page=1, per_page=1)
        error: str | None = exc.message
    else:
        error = None
    query = urlencode({k: v for k, v in typed.items() if v})
    return await _render(
        page,
        seat,
        session,
        "marketplace.html",
        status_code=422 if error else 200,
        error=error,
        found=found,
        filters=typed,
        categories=await catalog_service.list_categories(session),
        sorts=marketplace.SORTS,
        here=f"/creator/marketplace?{query}&p={found.page}",
        page_url=f"/creator/marketplace?{query}&p=",
    )


# --- showcase -----------------------------------------------------------------------------------


async def _showcase_page(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    products = await marketplace.showcase(
        session, creator_id=seat.creator.id, market=seat.creator.market_code
    )
    return await _render(
        page,
        seat,
        session,
        "showcase.html",
        status_code=status_code,
        error=error,
        products=products,
    )


@router.get("/showcase", response_class=HTMLResponse)
async def showcase_page(page: PageDep, seat: CurrentCreator, session: GlobalRead) -> HTMLResponse:
    return await _showcase_page(page, seat, session)


async def _showcase_change(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    databases: Databases,
    write: Write,
    *,
    done: str,
    back: str = "/creator/showcase",
) -> HTMLResponse | RedirectResponse:
    async def again(exc: DomainError) -> HTMLResponse:
        return await _showcase_page(
            page, seat, session, status_code=exc.status_code, error=exc.message
        )

    return await submit(
        page, databases, write, done=done, to=_back(back, "/creator/showcase"), again=again
    )


@router.post("/showcase", dependencies=[CsrfChecked], response_model=None)
async def add_to_showcase(
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
    product_id: Annotated[int, Form()],
    back: Annotated[str, Form(max_length=500)] = "/creator/showcase",
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await marketplace.add_to_showcase(global_, creator=seat.creator, product_id=product_id)

    return await _showcase_change(
        page, seat, session, databases, write, done="Added to your showcase.", back=back
    )


@router.post("/showcase/{product_id}/remove", dependencies=[CsrfChecked], response_model=None)
async def remove_from_showcase(
    product_id: int,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await marketplace.remove_from_showcase(
            global_, creator_id=seat.creator.id, product_id=product_id
        )

    return await _showcase_change(
        page, seat, session, databases, write, done="Removed from your showcase."
    )


@router.post("/showcase/{product_id}/move", dependencies=[CsrfChecked], response_model=None)
async def move_in_showcase(
    product_id: int,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
    direction: Annotated[str, Form(max_length=4)],
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        await marketplace.move(
            global_, creator_id=seat.creator.id, product_id=product_id, direction=direction
        )

    return await _showcase_change(page, seat, session, databases, write, done="Showcase reordered.")


# --- invitations --------------------------------------------------------------------------------


async def _invitations_page(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    invitations = await plans.creator_invitations(session, creator_id=seat.creator.id)
    return await _render(
        page,
        seat,
        session,
        "invitations.html",
        status_code=status_code,
        error=error,
        invitations=invitations,
    )


@router.get("/invitations", response_class=HTMLResponse)
async def invitations_page(
    page: PageDep, seat: CurrentCreator, session: GlobalRead
) -> HTMLResponse:
    return await _invitations_page(page, seat, session)


async def _respond(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    databases: Databases,
    invitation_id: int,
    *,
    accept: bool,
) -> HTMLResponse | RedirectResponse:
    async def write(global_: AsyncSession) -> None:
        respond = plans.accept if accept else plans.decline
        await respond(global_, creator_id=seat.creator.id, invitation_id=invitation_id)

    async def again(exc: DomainError) -> HTMLResponse:
        return await _invitations_page(
            page, seat, session, status_code=exc.status_code, error=exc.message
        )

    done = (
        "Invitation accepted: its rate applies to its products until it expires."
        if accept
        else "Invitation declined."
    )
    return await submit(page, databases, write, done=done, to="/creator/invitations", again=again)


@router.post("/invitations/{invitation_id}/accept", dependencies=[CsrfChecked], response_model=None)
async def accept_invitation(
    invitation_id: int,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    return await _respond(page, seat, session, databases, invitation_id, accept=True)


@router.post(
    "/invitations/{invitation_id}/decline", dependencies=[CsrfChecked], response_model=None
)
async def decline_invitation(
    invitation_id: int,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    return await _respond(page, seat, session, databases, invitation_id, accept=False)


# --- samples ------------------------------------------------------------------------------------


async def _samples_page(
    page: Page,
    seat: CreatorSeat,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    samples = await plans.creator_samples(session, creator_id=seat.creator.id)
    invitations = await plans.creator_invitations(session, creator_id=seat.creator.id)
    return await _render(
        page,
        seat,
        session,
        "samples.html",
        status_code=status_code,
        error=error,
        samples=samples,
        choices=plans.sample_choices(invitations, samples),
        form=form or {},
    )


@router.get("/samples", response_class=HTMLResponse)
async def samples_page(page: PageDep, seat: CurrentCreator, session: GlobalRead) -> HTMLResponse:
    return await _samples_page(page, seat, session)


def _choice(value: str) -> tuple[int, int]:
    """The form's "invitation:product" pair."""
    invitation_id, _, product_id = value.partition(":")
    if not (invitation_id.isdigit() and product_id.isdigit()):
        raise InvalidInput("Choose the product you would like a sample of.")
    return int(invitation_id), int(product_id)


@router.post("/samples", dependencies=[CsrfChecked], response_model=None)
async def request_sample(
    request: Request,
    page: PageDep,
    seat: CurrentCreator,
    session: GlobalRead,
    databases: DatabasesDep,
) -> HTMLResponse | RedirectResponse:
    form = await form_fields(request)

    async def write(global_: AsyncSession) -> None:
        invitation_id, product_id = _choice(form.get("choice", ""))
        await plans.request_sample(
            global_,
            creator_id=seat.creator.id,
            invitation_id=invitation_id,
            product_id=product_id,
            ship_to=form.get("ship_to", ""),
            note=form.get("note", ""),
        )

    async def again(exc: DomainError) -> HTMLResponse:
        return await _samples_page(
            page, seat, session, status_code=exc.status_code, error=exc.message, form=form
        )

    return await submit(
        page,
        databases,
        write,
        done="Sample requested. The shop will approve it and ship it to you.",
        to="/creator/samples",
        again=again,
    )
