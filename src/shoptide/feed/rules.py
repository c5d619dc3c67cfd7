"""Business rules applied after ranking, whatever the model said.

- only items of the viewer's market;
- nothing sold out (a live room stays: people watch a room whose stock ran out, and it may
  restock on air);
- items the viewer has already been shown sink: each earlier showing multiplies the score
  by SEEN_FACTOR, so a page is fresh but a small catalog never runs dry;
- no more than MAX_RUN items in a row from one shop;
- variety: each item already on the page from the same category lowers an item's score by
  a factor (strongly for a viewer the feed knows nothing about yet, whose first feed should
  show the market's range; mildly once their taste is known).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from shoptide.feed.items import FeedItem

MAX_RUN = 2
SEEN_FACTOR = 0.1
VARIETY_NEW_VIEWER = 0.5
VARIETY_KNOWN_VIEWER = 0.85


@dataclass(slots=True)
class Ranked:
    item: FeedItem
    score: float
    seen: int = 0  # times already shown to this viewer


R = TypeVar("R", bound=Ranked)


def allowed(item: FeedItem, market: str) -> bool:
    return item.market == market and not (item.sold_out and item.kind != "live")


def demote_seen(ranked: Sequence[R]) -> list[R]:
    """Best first, each score lowered for every time its item was already shown."""
    for entry in ranked:
        if entry.seen:
            entry.score *= SEEN_FACTOR**entry.seen
    return sorted(ranked, key=lambda entry: entry.score, reverse=True)


def _breaks_run(page: Sequence[Ranked], shop_id: int) -> bool:
    tail = page[-MAX_RUN:]
    return len(tail) == MAX_RUN and all(entry.item.shop_id == shop_id for entry in tail)


def pick_page(best_first: Sequence[R], size: int, variety: float = 1.0) -> list[R]:
    """Greedily take the best item after the variety discount that keeps the shop rule; if
    only one shop is left the page ends short rather than break it."""
    page: list[R] = []
    waiting = list(best_first)
    per_category: dict[int, int] = defaultdict(int)
    while waiting and len(page) < size:
        fits = [e for e in waiting if not _breaks_run(page, e.item.shop_id)]
        if not fits:
            break
        pick = max(fits, key=lambda e: e.score * variety ** per_category[e.item.category_id])
        waiting.remove(pick)
        page.append(pick)
        per_category[pick.item.category_id] += 1
    return page


def arrange(ranked: Sequence[R], *, market: str, size: int, variety: float = 1.0) -> list[R]:
    """The page: allowed items, seen ones demoted, shops spread out, categories varied."""
    fit = [entry for entry in ranked if allowed(entry.item, market)]
    return pick_page(demote_seen(fit), size, variety)
