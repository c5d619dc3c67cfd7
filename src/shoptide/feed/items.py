"""What the feed ranks: videos, live rooms and product cards, as plain values.

An item's *key* names it everywhere in the feed (counters, histories, the event log):
"video:12", "live:7", "product:301". Ids are the owning domain's ids; a video's and a room's
ids are cell ids, which is fine because a feed is always for one market, and so one cell.
"""

from dataclasses import dataclass, field

ITEM_KINDS = ("video", "live", "product")

# What a viewer can do with an item, as recorded in the feed's event log.
IMPRESSION = "impression"  # the item was shown (served on a page and scrolled into view)
WATCH = "watch"  # value: milliseconds watched; completion from the item's duration
LIKE = "like"
FOLLOW = "follow"  # the item's host
SHARE = "share"
CLICK = "click"  # a product on the item was opened
CART = "cart"  # a product on the item went into the cart
PURCHASE = "purchase"  # value: the order's amount in minor units of the market's currency
SKIP = "skip"  # scrolled past in under a second
ACTIONS = (IMPRESSION, WATCH, LIKE, FOLLOW, SHARE, CLICK, CART, PURCHASE, SKIP)
# Actions that count as "the viewer engaged" for rates and for the ranker's labels
# (a watch counts only when the viewer saw at least ENGAGED_COMPLETION of it).
ENGAGING = (LIKE, FOLLOW, SHARE, CLICK, CART, PURCHASE)
ENGAGED_COMPLETION = 0.5
UNKNOWN_LENGTH_WATCH_MS = 5_000.0


def item_key(kind: str, ref_id: int) -> str:
    return f"{kind}:{ref_id}"


def parse_key(key: str) -> tuple[str, int]:
    """("video", 12) from "video:12"; ValueError for anything else."""
    kind, _, ref = key.partition(":")
    if kind not in ITEM_KINDS or not ref.isdigit():
        raise ValueError(f"not a feed item: {key!r}")
    return kind, int(ref)


@dataclass(slots=True)
class FeedItem:
    """Everything ranking needs about one item, kept in memory by the catalog."""

    key: str
    kind: str
    ref_id: int
    market: str
    shop_id: int
    host_id: int  # the user who posted it or hosts the room (the one a viewer follows)
    category_id: int  # the lead product's category (0: none)
    price_minor: int  # the lead product's price in the market's currency (0: none)
    product_ids: tuple[int, ...]
    published_at: float  # epoch seconds
    duration_ms: int = 0  # videos: for the completion ratio
    live: bool = False  # rooms: on air now
    viewers: int = 0  # rooms: watching now
    sold_out: bool = False  # every product on it is sold out in the market
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # display only (poster, room name)


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing a viewer did with an item (or that happened to it), as the engine hears it."""

    viewer: str  # "user:12", or "visitor:<token>" for someone not signed in
    market: str
    item_key: str
    action: str  # one of ACTIONS
    at: float  # epoch seconds
    value: float = 0.0  # WATCH: milliseconds; PURCHASE: amount in the market's minor units
    stage: int = -1  # IMPRESSION: the item's cold-start stage when it was served


def is_engaged(action: str, value: float, duration_ms: int) -> bool:
    """Did the viewer care: an engaging action, or a watch of at least ENGAGED_COMPLETION of
    the item (of UNKNOWN_LENGTH_WATCH_MS on one with no length: a live room, a product card)?"""
    if action == WATCH:
        needed = ENGAGED_COMPLETION * duration_ms if duration_ms > 0 else UNKNOWN_LENGTH_WATCH_MS
        return value >= needed
    return action in ENGAGING
