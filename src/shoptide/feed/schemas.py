"""The For You feed in the JSON API: a served page, the events a client reports, follows."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from shoptide.catalog.schemas import MoneyRead, money_read
from shoptide.feed import serving
from shoptide.feed.engine import Served
from shoptide.feed.items import ACTIONS
from shoptide.feed.ladder import STAGES
from shoptide.media import media_url


def _reported(action: str) -> str:
    if action not in serving.REPORTED:
        raise PydanticCustomError(
            "action", "{action} is not an event the feed takes here", {"action": repr(action)}
        )
    return action


# Likes, follows and carts reach the feed through the actions that make them, not here.
ReportedAction = Annotated[
    str, AfterValidator(_reported), WithJsonSchema({"enum": list(serving.REPORTED)})
]


class FeedEventIn(BaseModel):
    item_key: str = Field(max_length=24, examples=["video:12"])
    action: ReportedAction = Field(
        description=f"What the viewer did (of the feed's {', '.join(ACTIONS)})",
        examples=["impression"],
    )
    value: float = Field(0.0, ge=0, description="watch: milliseconds played")

    def reported(self) -> serving.Reported:
        return serving.Reported(self.item_key, self.action, self.value)


class FeedEventsIn(BaseModel):
    """What a viewer did with the items of one served page."""

    page_id: str = Field(min_length=1, max_length=32)
    events: list[FeedEventIn] = Field(max_length=serving.MAX_EVENTS)


class PageEventsIn(FeedEventsIn):
    """The For You page's reports: a beacon cannot send headers, so the CSRF token may
    travel in the body instead of X-CSRF-Token."""

    csrf_token: str = Field("", max_length=64)


class FeedLinks(BaseModel):
    page: str  # where a shopper opens it on the web
    api: str | None = None  # its resource in this API, where it has one


class FeedItemRead(BaseModel):
    key: str
    kind: str  # video | live | product
    title: str
    price: MoneyRead | None  # the lead product's price in the market
    product_ids: list[int]
    host_id: int
    image_url: str | None  # a video's poster, a room's cover, a product's first image
    playlist_url: str | None = None  # videos: HLS
    viewers: int | None = None  # live rooms: watching now
    links: FeedLinks
    source: str  # the candidate source that brought it (following, trending, explore, ...)
    stage: str  # its traffic stage when served ("starter pool" ... "open feed")


class FeedPageRead(BaseModel):
    page_id: str
    market: str
    visitor: str | None = Field(
        None, description="Signed out: send it back in X-Feed-Visitor with this page's events"
    )
    items: list[FeedItemRead]


class FollowRead(BaseModel):
    host_id: int
    following: bool


def _links(served: Served) -> FeedLinks:
    item = served.item
    if item.kind == "video":
        path = f"/videos/{item.market}/{item.ref_id}"
        return FeedLinks(page=path, api=f"/api/v1{path}")
    if item.kind == "live":
        return FeedLinks(page=f"/live/{item.extra.get('public_name', '')}")
    return FeedLinks(page=f"/p/{item.ref_id}", api=f"/api/v1/products/{item.ref_id}")


def _picture(served: Served) -> str | None:
    name = {"video": "poster", "live": "cover", "product": "image"}[served.item.kind]
    found = served.item.extra.get(name, "")
    return media_url(found)


def feed_item_read(served: Served, *, currency: str, locale: str) -> FeedItemRead:
    item = served.item
    playlist = item.extra.get("playlist", "")
    return FeedItemRead(
        key=item.key,
        kind=item.kind,
        title=item.title,
        price=money_read(item.price_minor, currency, locale) if item.price_minor else None,
        product_ids=list(item.product_ids),
        host_id=item.host_id,
        image_url=_picture(served),
        playlist_url=media_url(playlist),
        viewers=item.viewers if item.kind == "live" else None,
        links=_links(served),
        source=served.source,
        stage=STAGES[min(served.stage, len(STAGES) - 1)].name,
    )
