"""The For You page, its actions, and Seller Center's "why this traffic" page.

For You shows one item at a time (feed.js scrolls, plays videos in view, asks for the next
served page near the end, and reports impressions, watches, skips, clicks and shares to
/for-you/events). Likes, follows and add-to-cart are htmx forms: each checks the item was
on the viewer's page, does the action in its own domain and commits, then tells the feed
(serving.acted), and answers with the button's new state.
"""

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NamedTuple

import structlog
from babel.numbers import format_percent
from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from shoptide import i18n
from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout import service as checkout_service
from shoptide.content import service as content_service
from shoptide.content.models import Video
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, CurrentShopper, DatabasesDep, check_csrf
from shoptide.errors import DomainError, InvalidInput
from shoptide.feed import explain, serving
from shoptide.feed import service as feed_service
from shoptide.feed.deps import FeedEngineDep, PageViewer
from shoptide.feed.engine import FeedEngine
from shoptide.feed.items import CART, FOLLOW, LIKE, FeedItem, item_key
from shoptide.feed.schemas import PageEventsIn
from shoptide.live import service as live_service
from shoptide.live.models import LiveRoom
from shoptide.settings import GLOBAL_CELL
from shoptide.web.rendering import Page, PageDep, locale_for

log = structlog.get_logger(__name__)

public_router = APIRouter()
router = APIRouter(prefix="/seller")

PAGE_SIZE = 10
FETCH_AHEAD = 3  # feed.js asks for the next page this many items from the end
REPORT_EVERY_MS = 4_000  # feed.js sends its batched events this often
FOR_YOU = "/for-you"


def _now() -> float:
    return time.time()


# --- what a card shows ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """One served item and what its card needs beyond the engine's item."""

    item: FeedItem
    page_id: str
    options: list[Sellable] = field(default_factory=list)  # the lead product's, in the market
    video: Video | None = None  # videos: the content row (like count, size)
    following: bool = False  # the viewer follows its host
    liked: bool = False  # videos: the viewer likes it


async def _cards(
    databases: Databases, served: serving.ServedPage, *, market: str, shopper_id: int | None
) -> list[Card]:
    """Every card of a served page in a fixed number of queries: the lead products'
    sellable options (global), then the videos and which of them the viewer likes (the
    cell)."""
    items = [entry.item for entry in served.items]
    leads = list(dict.fromkeys(item.product_ids[0] for item in items if item.product_ids))
    video_ids = [item.ref_id for item in items if item.kind == "video"]
    options: dict[int, list[Sellable]] = defaultdict(list)
    async with databases.session(GLOBAL_CELL, write=False) as global_:
        await global_.connection()  # the global connection first, then the cell's
        for sellable in await catalog_service.sellables_of_products(global_, leads, market=market):
            options[sellable.product_id].append(sellable)
        async with databases.session(
            databases.settings.cell_of_market(market), write=False
        ) as cell:
            videos = {
                video.id: video
                for video in (
                    await content_service.ready_in_market(cell, market=market, video_ids=video_ids)
                    if video_ids
                    else []
                )
            }
            liked = (
                await content_service.liked_among(cell, shopper_id=shopper_id, video_ids=video_ids)
                if shopper_id is not None
                else set()
            )
    return [
        Card(
            item=item,
            page_id=served.page_id,
            options=options.get(item.product_ids[0], []) if item.product_ids else [],
            video=videos.get(item.ref_id) if item.kind == "video" else None,
            following=item.host_id in served.followed,
            liked=item.kind == "video" and item.ref_id in liked,
        )
        for item in items
        if item.kind != "video" or item.ref_id in videos  # taken down since it was ranked
    ]


async def _served_cards(
    databases: Databases, engine: FeedEngine, page: Page, viewer: str, shopper_id: int | None
) -> list[Card]:
    served = await serving.serve(
        databases,
        engine,
        viewer=viewer,
        market=page.market.code,
        shopper_id=shopper_id,
        at=_now(),
        size=PAGE_SIZE,
    )
    return await _cards(databases, served, market=page.market.code, shopper_id=shopper_id)


def _answer(page: Page, template: str, back_to: str, **context: Any) -> Response:
    """htmx gets the button's new state; a plain form post goes back to a page."""
    if not page.request.headers.get("hx-request"):
        return RedirectResponse(back_to, status_code=303)
    return page.render(template, may_act=True, **context)


def _may_act(page: Page) -> bool:
    return page.user is not None and page.user.role == "shopper"


# --- the page ----------------------------------------------------------------------------------


@public_router.get(FOR_YOU, response_class=HTMLResponse)
async def for_you(
    page: PageDep, viewer: PageViewer, engine: FeedEngineDep, databases: DatabasesDep
) -> HTMLResponse:
    cards = await _served_cards(databases, engine, page, viewer.viewer, viewer.shopper_id)
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
    cards = await _served_cards(databases, engine, page, viewer.viewer, viewer.shopper_id)
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
    await serving.take_events(
        databases,
        engine,
        viewer=viewer.viewer,
        page_id=report.page_id,
        events=[event.reported() for event in report.events],
        at=_now(),
    )
    return Response(status_code=204)


# --- likes, follows, add to cart ----------------------------------------------------------------

PageId = Annotated[str, Form(min_length=1, max_length=32)]
ItemKey = Annotated[str, Form(min_length=1, max_length=24)]


async def _served_item(
    engine: FeedEngine, *, viewer: str, page_id: str, key: str, kind: str = ""
) -> FeedItem:
    """The item, checked to be on the viewer's served page, before anything changes (in
    the page's market: the item's own)."""
    kept = await serving.kept_page(engine, viewer=viewer, page_id=page_id)
    item = engine.catalog.get(kept.market, key) if key in kept.items else None
    if item is None or (kind and item.kind != kind):
        raise InvalidInput(f"{key} was not on this feed page.")
    return item


async def _tell_feed(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    page_id: str,
    key: str,
    action: str,
) -> None:
    """The action is committed: the feed hears it. If the page expired in between, the
    action stands and only the feed's signal is lost (logged)."""
    try:
        await serving.acted(
            databases,
            engine,
            viewer=viewer,
            page_id=page_id,
            item_key=key,
            action=action,
            at=_now(),
        )
    except InvalidInput as exc:
        log.warning("feed.signal_lost", action=action, item_key=key, reason=exc.message)


@public_router.post(FOR_YOU + "/cart", dependencies=[CsrfChecked], response_model=None)
async def add_to_cart(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
    sku: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """One unit of the item's lead product, credited to the video it was added from (as
    /cart/add does); a sold-out option answers with the reason in place of the button."""
    market = page.market
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(engine, viewer=viewer, page_id=page_id, key=item_key)
    card = Card(item=item, page_id=page_id)
    if not item.product_ids:
        raise InvalidInput("Nothing on this item can go in the cart.")
    options: list[Sellable] = []
    try:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()
            options = await catalog_service.sellables_of_products(
                global_, item.product_ids[:1], market=market.code
            )
            if sku not in {option.sku for option in options}:
                raise InvalidInput("That option is not sold on this item.")
            async with databases.session(databases.settings.cell_of_market(market.code)) as cell:
                await checkout_service.set_quantity(
                    cell,
                    global_,
                    shopper_id=user.user_id,
                    market=market,
                    sku=sku,
                    quantity=1,
                    add=True,
                    from_video=item.ref_id if item.kind == "video" else None,
                )
    except DomainError as exc:
        if not page.request.headers.get("hx-request"):
            raise
        card = Card(item=item, page_id=page_id, options=options)
        return _answer(page, "feed/_cart.html", "/cart", card=card, added=False, error=exc.message)
    await _tell_feed(
        databases,
        engine,
        viewer=viewer,
        page_id=page_id,
        key=item_key,
        action=CART,
    )
    page.flash(page.gettext("Added to your cart."))
    return _answer(page, "feed/_cart.html", "/cart", card=card, added=True, error=None)


async def _like(
    user: Principal, databases: Databases, item: FeedItem, on: bool
) -> tuple[bool, dict[str, Any]]:
    """Like or unlike the video; returns whether that changed anything, and the context of
    its button."""
    market = item.market
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        video = await content_service.get_ready(cell, item.ref_id, market=market)
        act = content_service.like if on else content_service.unlike
        changed = await act(cell, video, shopper_id=user.user_id)
    return changed, {"video": video, "liked": on}  # the Card's fields


async def _follow(
    user: Principal, databases: Databases, item: FeedItem, on: bool
) -> tuple[bool, dict[str, Any]]:
    """Follow or unfollow the item's host."""
    async with databases.session(databases.settings.cell_of_market(item.market)) as cell:
        if on:
            changed = await feed_service.follow(
                cell, follower_id=user.user_id, host_id=item.host_id, market=item.market
            )
        else:
            changed = await feed_service.unfollow(
                cell, follower_id=user.user_id, host_id=item.host_id
            )
    return changed, {"following": on}


class Toggle(NamedTuple):
    act: Callable[[Principal, Databases, FeedItem, bool], Awaitable[tuple[bool, dict[str, Any]]]]
    on: bool
    signal: str  # what the feed hears when it turns on
    button: str  # the template of its button
    kind: str = ""  # the kind of item it applies to ("": any)


TOGGLES = {
    "like": Toggle(_like, True, LIKE, "feed/_like.html", "video"),
    "unlike": Toggle(_like, False, LIKE, "feed/_like.html", "video"),
    "follow": Toggle(_follow, True, FOLLOW, "feed/_follow.html"),
    "unfollow": Toggle(_follow, False, FOLLOW, "feed/_follow.html"),
}


# after every other POST under /for-you: routes match in order
@public_router.post(FOR_YOU + "/{toggle}", dependencies=[CsrfChecked], response_model=None)
async def toggle(
    toggle: Literal["like", "unlike", "follow", "unfollow"],
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    """Like or unlike a video, follow or unfollow a host, from the viewer's served page;
    turning one on is a signal for the feed."""
    chosen = TOGGLES[toggle]
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(
        engine, viewer=viewer, page_id=page_id, key=item_key, kind=chosen.kind
    )
    changed, context = await chosen.act(user, databases, item, chosen.on)
    if chosen.on and changed:
        await _tell_feed(
            databases, engine, viewer=viewer, page_id=page_id, key=item_key, action=chosen.signal
        )
    card = Card(item=item, page_id=page_id, **context)
    return _answer(page, chosen.button, FOR_YOU, card=card)


# --- Seller Center: why each item has the traffic it has --------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRow:
    kind: str  # video | live
    title: str
    market: str
    link: str  # the merchant's own page of it
    stats: feed_service.ItemStats
    median: feed_service.Rates
    peers: int
    stage: str
    rates: list[explain.Compared]
    reason: str


async def _report_rows(
    databases: Databases,
    *,
    videos: Sequence[Video],
    rooms: Sequence[LiveRoom],
    gettext: explain.Gettext,
    percent: explain.Percent,
) -> list[ReportRow]:
    """The shop's items per market: one report (a fixed number of queries) per market."""
    by_market: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for video in videos:
        by_market[video.market_code].append(
            (
                item_key("video", video.id),
                "video",
                video.caption or gettext("Untitled video"),
                f"/seller/videos/{video.market_code}/{video.id}",
            )
        )
    for room in rooms:
        by_market[room.market_code].append(
            (item_key("live", room.id), "live", room.title, f"/seller/live/{room.public_name}")
        )
    rows = []
    for market, entries in sorted(by_market.items()):
        async with databases.session(
            databases.settings.cell_of_market(market), write=False
        ) as cell:
            # completion is judged against every video of the market, not only the shop's
            lengths = await content_service.lengths_in_market(cell, market=market)
            durations = {item_key("video", video_id): ms for video_id, ms in lengths.items()}
            report = await feed_service.item_report(
                cell, item_keys=[key for key, *_ in entries], market=market, durations=durations
            )
        for (_, kind, title, link), stats in zip(entries, report.items, strict=True):
            rows.append(
                ReportRow(
                    kind=kind,
                    title=title,
                    market=market,
                    link=link,
                    stats=stats,
                    median=report.median,
                    peers=report.peers,
                    stage=explain.stage_name(stats, gettext),
                    rates=explain.compared(stats.rates, report.median, video=kind == "video"),
                    reason=explain.explain(
                        stats,
                        report.median,
                        video=kind == "video",
                        gettext=gettext,
                        percent=percent,
                    ),
                )
            )
    return rows


REPORT_TEMPLATE = "seller/feed.html"


@router.get("/feed", response_class=HTMLResponse)
async def feed_report(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    """The shop's videos and live rooms in the For You feed: stage, rates beside the
    market's median, and why, in plain words."""
    locale = locale_for(REPORT_TEMPLATE, page.market)
    translations = i18n.translations(locale)

    def percent(value: float) -> str:
        return str(format_percent(value, locale=locale))

    videos = [
        v
        for v in await content_service.list_for_shop(databases, shop_id=seat.shop.id)
        if v.status == "ready"
    ]
    rooms = [
        r
        for r in await live_service.rooms_of_shop(databases, shop_id=seat.shop.id)
        if r.status in ("live", "ended")
    ]
    rows = await _report_rows(
        databases, videos=videos, rooms=rooms, gettext=translations.gettext, percent=percent
    )
    return page.render(REPORT_TEMPLATE, seat=seat, rows=rows, percent=percent)
