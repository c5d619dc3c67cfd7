"""The items the feed may rank, read from content, live, catalog, shops and inventory
through their services: ready videos, rooms on air and product cards of published
products priced in the market. Functions take the sessions they read (feed.serving opens
them)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.catalog import service as catalog_service
from shoptide.content import service as content_service
from shoptide.feed.items import FeedItem, item_key, parse_key
from shoptide.inventory import service as inventory_service
from shoptide.live import rooms as live_rooms
from shoptide.shops import service as shops_service


@dataclass(frozen=True, slots=True)
class Wanted:
    """Which items to load: None loads all of a kind, a list only those (empty: none)."""

    video_ids: list[int] | None = None
    room_ids: list[int] | None = None
    product_ids: list[int] | None = None

    @classmethod
    def one(cls, key: str) -> "Wanted":
        kind, ref = parse_key(key)
        nothing: list[int] = []
        return cls(
            video_ids=[ref] if kind == "video" else nothing,
            room_ids=[ref] if kind == "live" else nothing,
            product_ids=[ref] if kind == "product" else nothing,
        )


def _lead(
    product_ids: Iterable[int], on_sale: Mapping[int, catalog_service.MarketProduct]
) -> tuple[tuple[int, ...], int, int]:
    """The tagged products still on sale (in tag order), the first one's category and price."""
    selling = tuple(pid for pid in dict.fromkeys(product_ids) if pid in on_sale)
    if not selling:
        return (), 0, 0
    first = on_sale[selling[0]]
    return selling, first.category_id, first.price_minor


def _sold_out(
    product_ids: Sequence[int],
    on_sale: Mapping[int, catalog_service.MarketProduct],
    stocked: set[int],
) -> bool:
    """Every product has no unit on the shelf (an item selling nothing is not sold out)."""
    return bool(product_ids) and not any(
        variant in stocked for pid in product_ids for variant in on_sale[pid].variant_ids
    )


class _Tagged(Protocol):
    product_id: int


class _Hosted(Protocol):
    """A video or a live room, as far as the feed reads them."""

    id: int
    shop_id: int | None
    host_user_id: int

    @property
    def products(self) -> Sequence[_Tagged]: ...


def _content_item(
    kind: str,
    row: _Hosted,
    market: str,
    on_sale: Mapping[int, catalog_service.MarketProduct],
    stocked: set[int],
    *,
    published_at: float,
    title: str,
    extra: dict[str, str],
    duration_ms: int = 0,
    live: bool = False,
) -> FeedItem:
    """A video or a room: its lead product's category and price, sold out or not."""
    product_ids, category_id, price_minor = _lead((tag.product_id for tag in row.products), on_sale)
    return FeedItem(
        key=item_key(kind, row.id),
        kind=kind,
        ref_id=row.id,
        market=market,
        shop_id=row.shop_id or 0,
        host_id=row.host_user_id,
        category_id=category_id,
        price_minor=price_minor,
        product_ids=product_ids,
        published_at=published_at,
        duration_ms=duration_ms,
        live=live,
        sold_out=_sold_out(product_ids, on_sale, stocked),
        title=title,
        extra=extra,
    )


async def market_items(
    global_: AsyncSession, cell: AsyncSession, market: str, wanted: Wanted
) -> list[FeedItem]:
    """One market's items in a fixed number of queries (the global session is the caller's
    first, as every unit of work spanning both takes them)."""
    videos = await content_service.ready_in_market(cell, market=market, video_ids=wanted.video_ids)
    rooms = await live_rooms.live_now(cell, market=market, room_ids=wanted.room_ids)
    tagged = [tag.product_id for video in videos for tag in video.products] + [
        tag.product_id for room in rooms for tag in room.products
    ]
    everything = wanted.video_ids is None and wanted.room_ids is None
    on_sale = await catalog_service.on_sale_in(
        global_,
        market=market,
        product_ids=None if everything else [*tagged, *(wanted.product_ids or [])],
    )
    cards = (
        on_sale
        if wanted.product_ids is None
        else {pid: on_sale[pid] for pid in wanted.product_ids if pid in on_sale}
    )
    owners = await shops_service.owners(global_, [product.shop_id for product in cards.values()])
    stocked = await inventory_service.in_stock(
        cell,
        market=market,
        variant_ids=None
        if everything
        else [v for product in on_sale.values() for v in product.variant_ids],
    )
    items = [
        _content_item(
            "video",
            video,
            market,
            on_sale,
            stocked,
            published_at=(video.published_at or video.created_at).timestamp(),
            title=video.caption,
            extra={"playlist": video.playlist_path, "poster": video.poster_path},
            duration_ms=video.duration_ms,
        )
        for video in videos
    ]
    items += [
        _content_item(
            "live",
            room,
            market,
            on_sale,
            stocked,
            published_at=(room.started_at or room.scheduled_at).timestamp(),
            title=room.title,
            extra={"public_name": room.public_name, "cover": room.cover_path},
            live=True,
        )
        for room in rooms
    ]
    for product in cards.values():
        items.append(
            FeedItem(
                key=item_key("product", product.id),
                kind="product",
                ref_id=product.id,
                market=market,
                shop_id=product.shop_id,
                host_id=owners.get(product.shop_id, 0),
                category_id=product.category_id,
                price_minor=product.price_minor,
                product_ids=(product.id,),
                published_at=product.created_at.timestamp(),
                sold_out=_sold_out((product.id,), on_sale, stocked),
                title=product.title,
                extra={"image": product.image or ""},
            )
        )
    return items
