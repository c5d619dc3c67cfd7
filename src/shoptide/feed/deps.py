"""Dependencies of the feed's routes: the engine, who is watching (a shopper, or a visitor
known by a cookie or, in the API, a header)."""

import re
import secrets
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response

from shoptide.deps import OptionalUser
from shoptide.feed import serving
from shoptide.feed.engine import FeedEngine

VISITOR_COOKIE = "feed_visitor"
VISITOR_HEADER = "X-Feed-Visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600  # a year
R = TypeVar("R", bound=Response)
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,32}$")  # viewer ids fit FeedEvent.viewer (40)


async def feed_engine(request: Request) -> FeedEngine:
    """The process's engine, built with the app and warmed in its lifespan."""
    return request.app.state.feed_engine


FeedEngineDep = Annotated[FeedEngine, Depends(feed_engine)]


@dataclass(frozen=True, slots=True)
class FeedViewer:
    """Whose feed this is: `viewer` names them to the engine and the event log."""

    viewer: str
    shopper_id: int | None  # a signed-in shopper; None for visitors and business accounts
    visitor: str  # the visitor token ("" for shoppers)
    new_visitor: bool = False  # the token was made now: the response must hand it out

    def remember(self, response: R, *, secure: bool) -> R:
        """Set the visitor cookie on a page's response when the token is new."""
        if self.new_visitor:
            response.set_cookie(
                VISITOR_COOKIE,
                self.visitor,
                max_age=VISITOR_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        return response


def _viewer(shopper_id: int | None, token: str | None) -> FeedViewer:
    if shopper_id is not None:
        return FeedViewer(serving.viewer_of(shopper_id, ""), shopper_id, "")
    if token and _VISITOR.match(token):
        return FeedViewer(serving.viewer_of(None, token), None, token)
    fresh = secrets.token_urlsafe(16)
    return FeedViewer(serving.viewer_of(None, fresh), None, fresh, new_visitor=True)


async def page_viewer(request: Request, user: OptionalUser) -> FeedViewer:
    """Pages: the signed-in shopper, else the visitor of the `feed_visitor` cookie."""
    shopper_id = user.user_id if user is not None and user.role == "shopper" else None
    return _viewer(shopper_id, request.cookies.get(VISITOR_COOKIE))


async def api_viewer(
    user: OptionalUser,
    x_feed_visitor: Annotated[
        str | None,
        Header(
            description="Signed-out clients: the `visitor` a served feed page returned, "
            "sent back with that page's events"
        ),
    ] = None,
) -> FeedViewer:
    """The API: the bearer token's shopper, else the visitor token of X-Feed-Visitor."""
    shopper_id = user.user_id if user is not None and user.role == "shopper" else None
    return _viewer(shopper_id, x_feed_visitor)


PageViewer = Annotated[FeedViewer, Depends(page_viewer)]
ApiViewer = Annotated[FeedViewer, Depends(api_viewer)]
