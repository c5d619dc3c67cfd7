"""The For You page, its actions, and Seller Center's "why this traffic" page.

For You shows one item at a time (feed.js scrolls, plays videos in view, asks for the next
served page near the end, and reports impressions, watches, skips, clicks and shares to
/for-you/events). Likes, follows and add-to-cart are htmx forms: each checks the item was
on the viewer's page, does the action in its own domain and commits, then tells the feed
(serving.acted), and answers with the button's new state.
"""

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

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
from shoptide.deps import CsrfChecked, CurrentMarket, CurrentSeat, CurrentShopper, DatabasesDep
from shoptide.errors import DomainError, InvalidInput
from shoptide.feed import explain, serving
from shoptide.feed import service as feed_service
from shoptide.feed.deps import FeedEngineDep, PageViewer, check_csrf
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


async def _cards(
    databases: Databases, served: serving.ServedPage, *, market: str, shopper_id: int | None
) -> list[Card]:
    """Every card of a served page in a fixed number of queries: the lead products'
    sellable options (global), then the videos and the viewer's follows (the cell)."""
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
            followed = (
                await feed_service.followed_hosts(cell, follower_id=shopper_id)
                if shopper_id is not None
                else frozenset()
            )
    return [
        Card(
            item=item,
            page_id=served.page_id,
            options=options.get(item.product_ids[0], []) if item.product_ids else [],
            video=videos.get(item.ref_id) if item.kind == "video" else None,
            following=item.host_id in followed,
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
    market: CurrentMarket,
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
        market=market.code,
        page_id=report.page_id,
        events=[event.reported() for event in report.events],
        at=_now(),
    )
    return Response(status_code=204)


# --- likes, follows, add to cart ----------------------------------------------------------------

PageId = Annotated[str, Form(min_length=1, max_length=32)]
ItemKey = Annotated[str, Form(min_length=1, max_length=24)]


async def _served_item(
    engine: FeedEngine, *, viewer: str, market: str, page_id: str, key: str, kind: str = ""
) -> FeedItem:
    """The item, checked to be on the viewer's served page, before anything changes."""
    logs = await serving.served_logs(engine, viewer=viewer, page_id=page_id)
    item = engine.catalog.get(market, key) if key in logs else None
    if item is None or (kind and item.kind != kind):
        raise InvalidInput(f"{key} was not on this feed page.")
    return item


async def _tell_feed(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    market: str,
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
            market=market,
            page_id=page_id,
            item_key=key,
            action=action,
            at=_now(),
        )
    except InvalidInput as exc:
        log.warning("feed.signal_lost", action=action, item_key=key, reason=exc.message)


async def _like(
    page: Page,
    user: Principal,
    engine: FeedEngine,
    databases: Databases,
    page_id: str,
    key: str,
    *,
    like: bool,
) -> Response:
    market = page.market.code
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(
        engine, viewer=viewer, market=market, page_id=page_id, key=key, kind="video"
    )
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        video = await content_service.get_ready(cell, item.ref_id, market=market)
        act = content_service.like if like else content_service.unlike
        changed = await act(cell, video, shopper_id=user.user_id)
    if like and changed:
        await _tell_feed(
            databases, engine, viewer=viewer, market=market, page_id=page_id, key=key, action=LIKE
        )
    card = Card(item=item, page_id=page_id, video=video)
    return _answer(page, "feed/_like.html", FOR_YOU, card=card, liked=like)


@public_router.post(FOR_YOU + "/like", dependencies=[CsrfChecked], response_model=None)
async def like(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    return await _like(page, user, engine, databases, page_id, item_key, like=True)


@public_router.post(FOR_YOU + "/unlike", dependencies=[CsrfChecked], response_model=None)
async def unlike(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    return await _like(page, user, engine, databases, page_id, item_key, like=False)


async def _follow(
    page: Page,
    user: Principal,
    engine: FeedEngine,
    databases: Databases,
    page_id: str,
    key: str,
    *,
    follow: bool,
) -> Response:
    market = page.market.code
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(engine, viewer=viewer, market=market, page_id=page_id, key=key)
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        if follow:
            changed = await feed_service.follow(
                cell, follower_id=user.user_id, host_id=item.host_id, market=market
            )
        else:
            changed = await feed_service.unfollow(
                cell, follower_id=user.user_id, host_id=item.host_id
            )
    if follow and changed:
        await _tell_feed(
            databases, engine, viewer=viewer, market=market, page_id=page_id, key=key, action=FOLLOW
        )
    card = Card(item=item, page_id=page_id, following=follow)
    return _answer(page, "feed/_follow.html", FOR_YOU, card=card)


@public_router.post(FOR_YOU + "/follow", dependencies=[CsrfChecked], response_model=None)
async def follow(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    return await _follow(page, user, engine, databases, page_id, item_key, follow=True)


@public_router.post(FOR_YOU + "/unfollow", dependencies=[CsrfChecked], response_model=None)
async def unfollow(
    page: PageDep,
    user: CurrentShopper,
    engine: FeedEngineDep,
    databases: DatabasesDep,
    page_id: PageId,
    item_key: ItemKey,
) -> Response:
    return await _follow(page, user, engine, databases, page_id, item_key, follow=False)


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
    item = await _served_item(
        engine, viewer=viewer, market=market.code, page_id=page_id, key=item_key
    )
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
        market=market.code,
        page_id=page_id,
        key=item_key,
        action=CART,
    )
    page.flash(page.gettext("Added to your cart."))
    return _answer(page, "feed/_cart.html", "/cart", card=card, added=True, error=None)


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
            durations = {
                item_key("video", video.id): video.duration_ms
                for video in await content_service.ready_in_market(cell, market=market)
            }
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
