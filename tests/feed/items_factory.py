"""One-line feed items and signals for the engine's tests."""

import itertools

from shoptide.feed.items import FeedItem, Signal

T0 = 1_800_000_000.0
_ids = itertools.count(1)


def make_item(
    kind: str = "product",
    *,
    shop: int = 1,
    category: int = 1,
    price: int = 2_000,
    market: str = "US",
    age: float = 86_400.0,
    **fields: object,
) -> FeedItem:
    ref = next(_ids)
    return FeedItem(
        key=f"{kind}:{ref}",
        kind=kind,
        ref_id=ref,
        market=market,
        shop_id=shop,
        host_id=100 + shop,
        category_id=category,
        price_minor=price,
        product_ids=(ref,),
        published_at=T0 - age,
        duration_ms=10_000 if kind == "video" else 0,
        **fields,  # type: ignore[arg-type]
    )


def signal(
    item: FeedItem, action: str, *, viewer: str = "user:1", at: float = T0, value: float = 0.0
) -> Signal:
    return Signal(viewer, item.market, item.key, action, at, value)
