"""The For You page's use cases that own their units of work: the cards of a served page,
add to cart, likes and follows from a feed page, and Seller Center's report of why the
shop's items have the traffic they have. (Serving a page and taking its events back are
feed.serving.)

An action from a feed page checks the item was on the viewer's page, does the action in
its own domain and commits, then tells the feed (serving.acted).
"""

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import structlog

from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.catalog.service import Sellable
from shoptide.checkout import service as checkout_service
from shoptide.content import engagement as content_engagement
from shoptide.content import flows as content_flows
from shoptide.content import service as content_service
from shoptide.content.models import Video
from shoptide.db import Databases
from shoptide.errors import DomainError, InvalidInput, NotFound
from shoptide.feed import explain, report, serving
from shoptide.feed import service as feed_service
from shoptide.feed.engine import FeedEngine
from shoptide.feed.items import CART, FOLLOW, LIKE, FeedItem, item_key
from shoptide.live import flows as live_flows
from shoptide.live.models import LiveRoom
from shoptide.markets.models import Market
from shoptide.settings import GLOBAL_CELL

log = structlog.get_logger(__name__)


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
        cell = databases.settings.cell_of_market(market)
        async with databases.session(cell, write=False) as session:
            videos = {
                video.id: video
                for video in (
                    await content_service.ready_in_market(
                        session, market=market, video_ids=video_ids
                    )
                    if video_ids
                    else []
                )
            }
            liked = (
                await content_engagement.liked_among(
                    session, shopper_id=shopper_id, video_ids=video_ids
                )
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


async def served_cards(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    market: str,
    shopper_id: int | None,
    size: int,
) -> list[Card]:
    """The viewer's next served page, as cards."""
    served = await serving.serve(
        databases,
        engine,
        viewer=viewer,
        market=market,
        shopper_id=shopper_id,
        at=_now(),
        size=size,
    )
    return await _cards(databases, served, market=market, shopper_id=shopper_id)


async def take_events(
    databases: Databases,
    engine: FeedEngine,
    *,
    viewer: str,
    page_id: str,
    events: Sequence[serving.Reported],
) -> None:
    """What the page reports its viewer did with the items of one served page."""
    await serving.take_events(
        databases, engine, viewer=viewer, page_id=page_id, events=events, at=_now()
    )


# --- actions from a feed page -----------------------------------------------------------------


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
    databases: Databases, engine: FeedEngine, *, viewer: str, page_id: str, key: str, action: str
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
    except (InvalidInput, NotFound) as exc:  # the page expired, or the item left it
        log.warning("feed.signal_lost", action=action, item_key=key, reason=exc.message)


@dataclass(frozen=True)
class CartAdd:
    """What adding to the cart from a feed card did: the card to show again, and the
    reason when nothing went in the cart."""

    card: Card
    refused: DomainError | None = None


async def _put_in_cart(
    databases: Databases, user: Principal, market: Market, item: FeedItem, sku: str
) -> tuple[list[Sellable], DomainError | None]:
    """One unit of an option of the item's lead product: the lead's options as read, and
    the reason when the cart refused (nothing changed then)."""
    options: list[Sellable] = []
    try:
        async with databases.session(GLOBAL_CELL, write=False) as global_:
            await global_.connection()
            options = await catalog_service.sellables_of_products(
                global_, item.product_ids[:1], market=market.code
            )
            if sku not in {option.sku for option in options}:
                raise InvalidInput("That option is not sold on this item.")
            cell = databases.settings.cell_of_market(market.code)
            async with databases.session(cell) as session:
                await checkout_service.set_quantity(
                    session,
                    global_,
                    shopper_id=user.user_id,
                    market=market,
                    sku=sku,
                    quantity=1,
                    add=True,
                    from_video=item.ref_id if item.kind == "video" else None,
                )
    except DomainError as exc:
        return options, exc
    return options, None


async def add_to_cart(
    databases: Databases,
    engine: FeedEngine,
    *,
    user: Principal,
    market: Market,
    page_id: str,
    key: str,
    sku: str,
) -> CartAdd:
    """One unit of the item's lead product, credited to the video it was added from (as
    /cart/add does), then the feed hears it. An item not on the page raises; a refusal
    of the cart (a sold-out option) comes back with the card."""
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(engine, viewer=viewer, page_id=page_id, key=key)
    if not item.product_ids:
        raise InvalidInput("Nothing on this item can go in the cart.")
    options, refused = await _put_in_cart(databases, user, market, item, sku)
    if refused is not None:
        return CartAdd(Card(item=item, page_id=page_id, options=options), refused)
    await _tell_feed(databases, engine, viewer=viewer, page_id=page_id, key=key, action=CART)
    return CartAdd(Card(item=item, page_id=page_id))


async def _like(
    databases: Databases, user: Principal, item: FeedItem, on: bool
) -> tuple[bool, dict[str, Any]]:
    """Like or unlike the video; returns whether that changed anything, and the fields of
    its card."""
    market = item.market
    async with databases.session(databases.settings.cell_of_market(market)) as cell:
        video = await content_service.get_ready(cell, item.ref_id, market=market)
        act = content_engagement.like if on else content_engagement.unlike
        changed = await act(cell, video, shopper_id=user.user_id)
    return changed, {"video": video, "liked": on}


async def _follow(
    databases: Databases, user: Principal, item: FeedItem, on: bool
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
    act: Callable[[Databases, Principal, FeedItem, bool], Awaitable[tuple[bool, dict[str, Any]]]]
    on: bool
    signal: str  # what the feed hears when it turns on
    kind: str = ""  # the kind of item it applies to ("": any)


TOGGLES = {
    "like": Toggle(_like, True, LIKE, "video"),
    "unlike": Toggle(_like, False, LIKE, "video"),
    "follow": Toggle(_follow, True, FOLLOW),
    "unfollow": Toggle(_follow, False, FOLLOW),
}


async def toggle(
    databases: Databases,
    engine: FeedEngine,
    *,
    name: str,
    user: Principal,
    page_id: str,
    key: str,
) -> Card:
    """Like or unlike a video, follow or unfollow a host, from the viewer's served page;
    turning one on is a signal for the feed. Returns the item's card as it is now."""
    chosen = TOGGLES[name]
    viewer = serving.viewer_of(user.user_id, "")
    item = await _served_item(engine, viewer=viewer, page_id=page_id, key=key, kind=chosen.kind)
    changed, shown = await chosen.act(databases, user, item, chosen.on)
    if chosen.on and changed:
        await _tell_feed(
            databases, engine, viewer=viewer, page_id=page_id, key=key, action=chosen.signal
        )
    return Card(item=item, page_id=page_id, **shown)


# --- Seller Center: why each item has the traffic it has --------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRow:
    kind: str  # video | live
    title: str
    market: str
    link: str  # the merchant's own page of it
    stats: report.ItemStats
    median: report.Rates
    peers: int
    stage: str
    rates: list[explain.Compared]
    reason: str


# (item key, kind, title, link) of the shop's items, per market
Entries = dict[str, list[tuple[str, str, str, str]]]


def _entries(
    videos: Sequence[Video], rooms: Sequence[LiveRoom], gettext: explain.Gettext
) -> Entries:
    by_market: Entries = defaultdict(list)
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
    return by_market


async def _market_report(databases: Databases, market: str, keys: list[str]) -> report.ItemReport:
    async with databases.session(databases.settings.cell_of_market(market), write=False) as cell:
        # completion is judged against every video of the market, not only the shop's
        lengths = await content_service.lengths_in_market(cell, market=market)
        durations = {item_key("video", video_id): ms for video_id, ms in lengths.items()}
        return await report.item_report(cell, item_keys=keys, market=market, durations=durations)


async def feed_report(
    databases: Databases,
    *,
    shop_id: int,
    gettext: explain.Gettext,
    percent: explain.Percent,
) -> list[ReportRow]:
    """The shop's ready videos and its live or ended rooms in the For You feed, per market
    (one report, a fixed number of queries, per market): stage, rates beside the market's
    median, and why, in plain words."""
    videos = [
        v
        for v in await content_flows.list_for_shop(databases, shop_id=shop_id)
        if v.status == "ready"
    ]
    rooms = [
        r
        for r in await live_flows.rooms_of_shop(databases, shop_id=shop_id)
        if r.status in ("live", "ended")
    ]
    rows = []
    for market, entries in sorted(_entries(videos, rooms, gettext).items()):
        found = await _market_report(databases, market, [key for key, *_ in entries])
        for (_, kind, title, link), stats in zip(entries, found.items, strict=True):
            video = kind == "video"
            rows.append(
                ReportRow(
                    kind=kind,
                    title=title,
                    market=market,
                    link=link,
                    stats=stats,
                    median=found.median,
                    peers=found.peers,
                    stage=explain.stage_name(stats, gettext),
                    rates=explain.compared(stats.rates, found.median, video=video),
                    reason=explain.explain(
                        stats, found.median, video=video, gettext=gettext, percent=percent
                    ),
                )
            )
    return rows
