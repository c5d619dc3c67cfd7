"""The For You page and its actions (Seller Center's report is feed.seller_pages).

For You shows one item at a time (feed.js scrolls, plays videos in view, asks for the next
served page near the end, and reports impressions, watches, skips, clicks and shares to
/for-you/events). Likes, follows and add-to-cart are htmx forms: each runs one flow of
feed.flows, and answers with the button's new state.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentShopper, DatabasesDep, check_csrf
from shoptide.errors import InvalidInput
from shoptide.feed import flows
from shoptide.feed.deps import FeedEngineDep, FeedViewer, PageViewer
from shoptide.feed.engine import FeedEngine
from shoptide.feed.flows import Card
from shoptide.feed.schemas import PageEventsIn
from shoptide.web.rendering import Page, PageDep

public_router = APIRouter()
router = APIRouter()  # signed-in shoppers

PAGE_SIZE = 10
FETCH_AHEAD = 3  # feed.js asks for the next page this many items from the end
REPORT_EVERY_MS = 4_000  # feed.js sends its batched events this often
FOR_YOU = "/for-you"
BUTTONS = {  # the template of each toggle's button
    "like": "feed/_like.html",
    "unlike": "feed/_like.html",
    "follow": "feed/_follow.html",
    "unfollow": "feed/_follow.html",
}


def _answer(page: Page, template: str, back_to: str, **context: Any) -> Response:
    """htmx gets the button's new state; a plain form post goes back to a page."""
    if not page.request.headers.get("hx-request"):
        return RedirectResponse(back_to, status_code=303)
    return page.render(template, may_act=True, **context)


def _may_act(page: Page) -> bool:
    return page.user is not None and page.user.role == "shopper"


async def _served_cards(
    databases: Databases, engine: FeedEngine, page: Page, viewer: FeedViewer
) -> list[Card]:
    return await flows.served_cards(
        databases,
        engine,
        viewer=viewer.viewer,
        market=page.market.code,
        shopper_id=viewer.shopper_id,
        size=PAGE_SIZE,
    )


# --- the page ----------------------------------------------------------------------------------


@public_router.get(FOR_YOU, response_class=HTMLResponse)
async def for_you(
    page: PageDep, viewer: PageViewer, engine: FeedEngineDep, databases: DatabasesDep
) -> HTMLResponse:
    cards = await _served_cards(databases, engine, page, viewer)
    response = page.render(
        "feed/for_you.html",
        cards=cards,
        may_act=_may_act(page),
        fetch_ahead=FETCH_AHEAD,
        report_every_ms=REPORT_EVERY_MS,
    )
    return viewer.remember(response, secure=page.request.app.state.settings.cookie_secure)


@public_router.get(FOR_YOU + "/more", response_class=HTMLResponse)
async def more(
    page: PageDep, viewer: PageViewer, engine: FeedEngineDep, databases: DatabasesDep
) -> HTMLResponse:
    """The next served page's items, to append to the list (empty when nothing is left)."""
    cards = await _served_cards(databases, engine, page, viewer)
    response = page.render("feed/_items.html", cards=cards, may_act=_may_act(page))
    return viewer.remember(response, secure=page.request.app.state.settings.cookie_secure)


@public_router.post(FOR_YOU + "/events", status_code=204)
async def report_events(
    request: Request,
    viewer: PageViewer,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    x_csrf_token: Annotated[str, Header(max_length=64)] = "",
) -> Response:
    """The page's batched reports: fetch() with X-CSRF-Token, or a beacon (text/plain JSON
    with the token inside) when the page goes away."""
    try:
        report = PageEventsIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InvalidInput(f"The events are not valid: {exc.errors()[0]['msg']}.") from None
    check_csrf(request, x_csrf_token or report.csrf_token)
    await flows.take_events(
        databases,
        engine,
        viewer=viewer.viewer,
        page_id=report.page_id,
        events=[event.reported() for event in report.events],
    )
    return Response(status_code=204)


# --- likes, follows, add to cart ----------------------------------------------------------------

PageId = Annotated[str, Form(min_length=1, max_length=32)]
ItemKey = Annotated[str, Form(min_length=1, max_length=24)]


@router.post(FOR_YOU + "/cart", dependencies=[CsrfChecked], response_model=None)
async def add_to_cart(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
    sku: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """One unit of the item's lead product; a sold-out option answers with the reason in
    place of the button."""
    added = await flows.add_to_cart(
        databases, engine, user=user, market=page.market, page_id=page_id, key=item_key, sku=sku
    )
    if added.refused is not None:
        if not page.request.headers.get("hx-request"):
            raise added.refused
        error = added.refused.message
        return _answer(page, "feed/_cart.html", "/cart", card=added.card, added=False, error=error)
    page.flash(page.gettext("Added to your cart."))
    return _answer(page, "feed/_cart.html", "/cart", card=added.card, added=True, error=None)


# after every other POST under /for-you: routes match in order
@router.post(FOR_YOU + "/{toggle}", dependencies=[CsrfChecked], response_model=None)
async def toggle(
    toggle: Literal["like", "unlike", "follow", "unfollow"],
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    """Like or unlike a video, follow or unfollow a host, from the viewer's served page."""
    card = await flows.toggle(
        databases, engine, name=toggle, user=user, page_id=page_id, key=item_key
    )
    return _answer(page, BUTTONS[toggle], FOR_YOU, card=card)
