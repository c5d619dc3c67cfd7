"""The items the feed may rank, in memory, per market, indexed the ways candidate sources
ask for them.

Built from the database at start (feed.service.load_items) and kept current by events
(a video published, a room going live or ending, stock running out). Each app process holds
its own copy: it is a cache of what the databases say, never the only record of anything.
Items are per market because keys are only unique within one: a product card exists in
every market that sells the product, and video and room ids are ids within a cell.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from shoptide.feed.items import FeedItem, item_key


class MarketItems:
    """One market's items and their indexes."""

    def __init__(self) -> None:
        self.items: dict[str, FeedItem] = {}
        self.by_host: dict[int, dict[str, None]] = defaultdict(dict)
        self.live: dict[str, None] = {}
        self.by_product: dict[int, set[str]] = defaultdict(set)
        self.rooms: dict[str, str] = {}  # a room's public name -> its key

    def add(self, item: FeedItem) -> None:
        self.items[item.key] = item
        self.by_host[item.host_id][item.key] = None
        for product_id in item.product_ids:
            self.by_product[product_id].add(item.key)
        if item.live:
            self.live[item.key] = None
        if "public_name" in item.extra:
            self.rooms[item.extra["public_name"]] = item.key

    def discard(self, key: str) -> None:
        item = self.items.pop(key, None)
        if item is None:
            return
        self.by_host[item.host_id].pop(key, None)
        self.live.pop(key, None)
        self.rooms.pop(item.extra.get("public_name", ""), None)
        for product_id in item.product_ids:
            self.by_product[product_id].discard(key)

    def product_sold_out(self, product_id: int) -> bool:
        card = self.items.get(item_key("product", product_id))
        return card is not None and card.sold_out


class Catalog:
    def __init__(self, items: Iterable[FeedItem] = ()) -> None:
        self._markets: dict[str, MarketItems] = defaultdict(MarketItems)
        for item in items:
            self.upsert(item)

    def __len__(self) -> int:
        return sum(len(market.items) for market in self._markets.values())

    def get(self, market: str, key: str) -> FeedItem | None:
        return self._markets[market].items.get(key)

    def upsert(self, item: FeedItem) -> None:
        market = self._markets[item.market]
        market.discard(item.key)
        market.add(item)

    def remove(self, market: str, key: str) -> None:
        self._markets[market].discard(key)

    def set_live(self, market: str, key: str, live: bool, viewers: int = 0) -> None:
        """A room went on or off air; off air, it leaves the feed (its replay is a video)."""
        items = self._markets[market]
        if not live:
            items.discard(key)
        elif (item := items.items.get(key)) is not None:
            item.live, item.viewers = True, viewers
            items.live[key] = None

    def set_viewers(self, totals: Mapping[str, int]) -> None:
        """Rooms' viewer counts (public name -> viewers) from the live hub."""
        for items in self._markets.values():
            for public_name, viewers in totals.items():
                if (key := items.rooms.get(public_name)) is not None:
                    items.items[key].viewers = viewers

    def set_sold_out(self, market: str, product_id: int, sold_out: bool) -> None:
        """A product ran out (or came back): items are sold out when all their products are."""
        items = self._markets[market]
        for key in items.by_product.get(product_id, ()):
            item = items.items[key]
            item.sold_out = sold_out and all(
                p == product_id or items.product_sold_out(p) for p in item.product_ids
            )

    def keys_in(self, market: str) -> list[str]:
        return list(self._markets[market].items)

    def items_in(self, market: str) -> Iterable[FeedItem]:
        return self._markets[market].items.values()

    def live_in(self, market: str) -> list[FeedItem]:
        items = self._markets[market]
        return [items.items[key] for key in items.live]

    def by_hosts(self, market: str, host_ids: Iterable[int], limit: int) -> list[FeedItem]:
        """The newest items of these hosts, newest first."""
        items = self._markets[market]
        found = [items.items[key] for host in host_ids for key in items.by_host.get(host, {})]
        found.sort(key=lambda item: item.published_at, reverse=True)
        return found[:limit]
