"""Seller Center's live rooms: the shop's rooms and the schedule form, a room's console, and
the stream panel in it (encoder settings, stream keys, rehearsal, open, end).

Host actions are plain forms: each runs one flow (one unit of work, published to the room
once it committed) and redirects to the console. The stream panel sits in the console
(htmx swaps it in place); without JavaScript its forms lead back to the console, except a
new key, shown once on a page of its own.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from shoptide.catalog.images import MAX_IMAGE_BYTES, image_extension
from shoptide.db import Databases
from shoptide.deps import CsrfChecked, CurrentSeat, DatabasesDep, Seat
from shoptide.errors import Conflict, DomainError, InvalidInput
from shoptide.ids import Id
from shoptide.live import flows, media, streaming
from shoptide.live.deps import HostRequest, HubDep, host_request
from shoptide.live.flows import RoomPlan
from shoptide.live.models import LiveRoom
from shoptide.markets.models import Market
from shoptide.web.forms import form_status, submit
from shoptide.web.rendering import SOURCE_LOCALE, Page, PageDep

router = APIRouter(prefix="/seller/live")


# --- the shop's rooms and the schedule form ---------------------------------------------------


def _market_time(moment: datetime, market: Market | None) -> str:
    """A time as the room's market reads it on its clocks (Seller Center is in English)."""
    zone = ZoneInfo(market.timezone if market else "UTC")
    return format_datetime(moment, "medium", tzinfo=zone, locale=SOURCE_LOCALE) + f" ({zone.key})"


async def _rooms_page(
    page: Page,
    seat: Seat,
    databases: Databases,
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    shown = await flows.host_rooms(databases, shop_id=seat.shop.id)
    markets = {market.code: market for market in page.markets}
    return page.render(
        "seller/live/rooms.html",
        status_code=status_code,
        seat=seat,
        rooms=[
            (room, _market_time(room.scheduled_at, markets.get(room.market_code)))
            for room in shown.rooms
        ],
        products=shown.products,
        form=form or {},
        error=error,
    )


@router.get("", response_class=HTMLResponse)
async def host_rooms(page: PageDep, seat: CurrentSeat, databases: DatabasesDep) -> HTMLResponse:
    return await _rooms_page(page, seat, databases)


def _starts_at(typed: str, market: Market) -> datetime:
    """The form's local date and time in the room's market, as UTC."""
    try:
        local = datetime.fromisoformat(typed.strip())
    except ValueError:
        raise InvalidInput("Enter the start date and time, like 2026-12-01 19:30.") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(market.timezone))
    return local.astimezone(UTC)


def _market_named(page: Page, code: str) -> Market:
    for market in page.markets:
        if market.code == code.upper():
            return market
    raise InvalidInput("Choose the market the live room sells in.")


def _product_ids(values: list[Any]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise InvalidInput("Pick the products from the list.") from None


async def _cover(upload: Any) -> tuple[bytes, str] | None:
    """The optional cover picture and its real extension, checked like product pictures."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput("The cover picture can be at most 5 MB.")
    return data, await asyncio.to_thread(image_extension, data)


async def _room_plan(page: Page, form: FormData) -> RoomPlan:
    typed = {k: v for k, v in form.items() if isinstance(v, str)}
    market = _market_named(page, typed.get("market", ""))
    return RoomPlan(
        market=market.code,
        title=typed.get("title", ""),
        starts_at=_starts_at(typed.get("starts_at", ""), market),
        product_ids=_product_ids(form.getlist("product_id")),
        rehearsal=bool(typed.get("rehearsal")),
        cover=await _cover(form.get("cover")),
    )


@router.post("", dependencies=[CsrfChecked], response_model=None)
async def schedule_room(
    request: Request, page: PageDep, seat: CurrentSeat, databases: DatabasesDep
) -> HTMLResponse:
    """Schedule a room; the console that answers shows the secret stream key, once."""
    form = await request.form()
    try:
        plan = await _room_plan(page, form)
        room, key = await flows.schedule(
            databases, plan, host_user_id=seat.user.user_id, shop_id=seat.shop.id
        )
    except DomainError as exc:
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        chosen = [v for v in form.getlist("product_id") if isinstance(v, str)]
        return await _rooms_page(
            page,
            seat,
            databases,
            status_code=form_status(exc),
            form={**typed, "product_ids": chosen},
            error=exc.message,
        )
    hosted = HostedRoom(room.public_name, request, page, seat, databases, databases.settings)
    return await hosted.console(new_key=key, status_code=201)


# --- the console ------------------------------------------------------------------------------


@dataclass
class HostedRoom(HostRequest):
    """A room as its host's shop works on it from the console."""

    @property
    def console_url(self) -> str:
        return f"/seller/live/{self.public_name}"

    async def console(
        self, *, new_key: str | None = None, error: str | None = None, status_code: int = 200
    ) -> HTMLResponse:
        shown = await flows.console(self.databases, self.public_name, shop_id=self.seat.shop.id)
        room = shown.room
        return self.page.render(
            "seller/live/console.html",
            status_code=status_code,
            seat=self.seat,
            room=room,
            room_market=shown.market,
            stream=media.stream_panel(self.settings, room, new_key),
            stream_error=None,
            error=error,
            products=shown.products,
            pinned=shown.pinned,
            moderators=shown.moderators,
            muted=shown.muted,
            # the host watches the stream from the first frame, rehearsal included
            preview_url=media.hls_url(self.settings, room)
            if room.status in ("rehearsal", "live")
            else None,
        )

    async def act(self, action: Callable[[], Awaitable[str]]) -> HTMLResponse | RedirectResponse:
        """Run one host flow; a refusal shows the console again (which refuses other shops'
        rooms), else flash what the flow says it did and go back to the console."""

        async def again(*, status_code: int, error: str, form: Any) -> HTMLResponse:
            return await self.console(error=error, status_code=status_code)

        return await submit(
            self.page, action, again=again, done=lambda said: said, to=self.console_url
        )


HostedRoomDep = Annotated[HostedRoom, Depends(host_request(HostedRoom))]


@router.get("/{public_name}", response_class=HTMLResponse)
async def console(hosted: HostedRoomDep) -> HTMLResponse:
    return await hosted.console()


@router.post("/{public_name}/pin", dependencies=[CsrfChecked], response_model=None)
async def pin(
    hosted: HostedRoomDep, hub: HubDep, product_id: Annotated[Id, Form()]
) -> HTMLResponse | RedirectResponse:
    async def act() -> str:
        title = await flows.pin(
            hosted.databases, hub, hosted.public_name, shop_id=hosted.shop_id, product_id=product_id
        )
        return f"Pinned “{title}”: viewers see it now."

    return await hosted.act(act)


@router.post("/{public_name}/unpin", dependencies=[CsrfChecked], response_model=None)
async def unpin(hosted: HostedRoomDep, hub: HubDep) -> HTMLResponse | RedirectResponse:
    async def act() -> str:
        if await flows.unpin(hosted.databases, hub, hosted.public_name, shop_id=hosted.shop_id):
            return "Unpinned: viewers see no product card now."
        return "Nothing was pinned."

    return await hosted.act(act)


@router.post("/{public_name}/moderators", dependencies=[CsrfChecked], response_model=None)
async def appoint_moderator(
    hosted: HostedRoomDep, hub: HubDep, email: Annotated[str, Form(max_length=254)]
) -> HTMLResponse | RedirectResponse:
    async def act() -> str:
        name = await flows.appoint_moderator(
            hosted.databases, hub, hosted.public_name, shop_id=hosted.shop_id, email=email
        )
        return f"{name} is a moderator of this room: they can delete comments and mute."

    return await hosted.act(act)


@router.post(
    "/{public_name}/moderators/{shopper_id}/remove", dependencies=[CsrfChecked], response_model=None
)
async def remove_moderator(
    hosted: HostedRoomDep, hub: HubDep, shopper_id: Id
) -> HTMLResponse | RedirectResponse:
    async def act() -> str:
        await flows.remove_moderator(
            hosted.databases, hub, hosted.public_name, shop_id=hosted.shop_id, shopper_id=shopper_id
        )
        return "Moderator removed."

    return await hosted.act(act)


@router.post(
    "/{public_name}/muted/{shopper_id}/unmute", dependencies=[CsrfChecked], response_model=None
)
async def unmute(
    hosted: HostedRoomDep, hub: HubDep, shopper_id: Id
) -> HTMLResponse | RedirectResponse:
    async def act() -> str:
        await flows.unmute(
            hosted.databases, hub, hosted.public_name, shop_id=hosted.shop_id, shopper_id=shopper_id
        )
        return "Unmuted: they can comment again."

    return await hosted.act(act)


# --- the stream panel -------------------------------------------------------------------------

# a flow changing the room's stream: the room after the change, and a new key if it made one
StreamChange = Callable[[], Awaitable[tuple[LiveRoom, str | None]]]


@dataclass
class HostedStream(HostRequest):
    """The room's stream as its host's shop sees it, and how to answer the host."""

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def render(
        self,
        room: LiveRoom,
        *,
        new_key: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The panel alone for htmx (the console swaps it in place), else a page around it."""
        return self.page.render(
            "media/stream_panel.html" if self.is_htmx else "media/stream_page.html",
            status_code=status_code,
            seat=self.seat,
            room=room,
            stream=media.stream_panel(self.settings, room, new_key),
            stream_error=error,
        )

    async def change(self, change: StreamChange, *, done: str) -> Response:
        """Apply the change; a refused one shows the panel again with the reason."""
        try:
            room, new_key = await change()
        except Conflict as exc:
            room = await streaming.hosted_stream(
                self.databases, self.public_name, shop_id=self.shop_id
            )
            return self.render(room, error=exc.message, status_code=exc.status_code)
        if new_key is not None or self.is_htmx:
            return self.render(room, new_key=new_key)  # a new key is shown once, never redirected
        self.page.flash(done)
        return RedirectResponse(f"/seller/live/{self.public_name}", status_code=303)

    def flow(self, change: streaming.StreamChange) -> StreamChange:
        """A change to the room in one unit of work, as the stream panel's flow."""
        return lambda: streaming.change_stream(
            self.databases, self.public_name, shop_id=self.shop_id, change=change
        )


HostedStreamDep = Annotated[HostedStream, Depends(host_request(HostedStream))]
STREAM = "/{public_name}/stream"


@router.get(STREAM, response_class=HTMLResponse)
async def stream_panel(stream: HostedStreamDep) -> HTMLResponse:
    room = await streaming.hosted_stream(
        stream.databases, stream.public_name, shop_id=stream.shop_id
    )
    return stream.render(room)


@router.post(STREAM + "/key", dependencies=[CsrfChecked], response_model=None)
async def rotate_key(stream: HostedStreamDep) -> Response:
    return await stream.change(stream.flow(media.rotate_key), done="New stream key made.")


@router.post(STREAM + "/key/revoke", dependencies=[CsrfChecked], response_model=None)
async def revoke_key(stream: HostedStreamDep) -> Response:
    return await stream.change(
        stream.flow(media.revoke_key),
        done="Stream key revoked: no encoder can start this room with it.",
    )


@router.post(STREAM + "/rehearsal", dependencies=[CsrfChecked], response_model=None)
async def set_rehearsal(
    stream: HostedStreamDep, rehearsal: Annotated[bool, Form()] = False
) -> Response:
    return await stream.change(
        stream.flow(functools.partial(media.set_rehearsal, rehearsal=rehearsal)),
        done="The stream will start as a rehearsal: only you see it until you open the room."
        if rehearsal
        else "The stream will go live to viewers as soon as your encoder connects.",
    )


@router.post(STREAM + "/open", dependencies=[CsrfChecked], response_model=None)
async def open_to_viewers(stream: HostedStreamDep, hub: HubDep) -> Response:
    async def change() -> tuple[LiveRoom, None]:
        room = await streaming.open_to_viewers(
            stream.databases, hub, stream.public_name, shop_id=stream.shop_id
        )
        return room, None

    return await stream.change(change, done="You are live: viewers see the stream.")


@router.post(STREAM + "/end", dependencies=[CsrfChecked], response_model=None)
async def end_live(stream: HostedStreamDep, hub: HubDep) -> Response:
    async def change() -> tuple[LiveRoom, None]:
        room = await streaming.end_live(
            stream.databases, hub, stream.public_name, shop_id=stream.shop_id
        )
        return room, None

    return await stream.change(change, done="The live room has ended. The replay follows shortly.")
