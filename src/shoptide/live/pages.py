"""Live room pages: the market's rooms and a room for shoppers; the list, the schedule form
and the console for hosts in Seller Center.

What happens in a room while it runs (comments, viewer counts, pins, deals) reaches the
page over the room's socket (ws.py, live.js). Host actions here are plain forms: each runs
one unit of work, publishes to the room once it committed, and redirects to the console.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from shoptide.accounts.service import Principal
from shoptide.catalog import service as catalog_service
from shoptide.db import Databases
from shoptide.deps import (
    CellRead,
    CsrfChecked,
    CurrentSeat,
    CurrentUser,
    DatabasesDep,
    GlobalRead,
    OptionalUser,
    Seat,
    SettingsDep,
)
from shoptide.errors import DomainError, InvalidInput
from shoptide.live import commerce, media, rooms, service
from shoptide.live.deps import HostRequest, host_request
from shoptide.live.models import LiveRoom
from shoptide.live.rooms import RoomScope
from shoptide.markets.models import Market
from shoptide.seller.pages import MAX_IMAGE_BYTES, form_status, image_extension, write_file
from shoptide.settings import Settings
from shoptide.web.rendering import SOURCE_LOCALE, Page, PageDep

public_router = APIRouter()
host_router = APIRouter(prefix="/seller/live")

COVERS = "live-covers"  # under media_dir


# --- shoppers -------------------------------------------------------------------------------


def _shopper_of_market(user: Principal | None, market: str) -> Principal | None:
    """The signed-in shopper if they shop in the market: only they can ask for reminders."""
    if user is not None and user.role == "shopper" and user.market_code == market:
        return user
    return None


@public_router.get("/live", response_class=HTMLResponse)
async def live_now(page: PageDep, user: OptionalUser, cell: CellRead) -> HTMLResponse:
    """Rooms live now in the shopper's market, then the coming ones with "remind me"."""
    listed = await rooms.on_air(cell, market=page.market.code)
    shopper = _shopper_of_market(user, page.market.code)
    reminded = (
        await service.reminded(cell, shopper_id=shopper.user_id, room_ids=[r.id for r in listed])
        if shopper
        else set()
    )
    return page.render(
        "live/index.html",
        live=[r for r in listed if r.status == "live"],
        upcoming=[r for r in listed if r.status != "live"],
        reminded=reminded,
        can_remind=shopper is not None,
    )


def _clock(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


async def _chapters(scope: RoomScope) -> list[dict[str, Any]]:
    """The replay's chapters: each pinned product, and where its pin starts."""
    chapters = await media.replay_chapters(scope.cell, scope.room)
    titles = {
        s.product_id: s.title
        for s in await catalog_service.sellables_of_products(
            scope.global_, [c.product_id for c in chapters], market=scope.room.market_code
        )
    }
    return [
        {"title": titles[c.product_id], "offset": c.offset_seconds, "at": _clock(c.offset_seconds)}
        for c in chapters
        if c.product_id in titles
    ]


@public_router.get("/live/{public_name}", response_class=HTMLResponse)
async def room_page(
    public_name: str,
    page: PageDep,
    user: OptionalUser,
    databases: DatabasesDep,
    settings: SettingsDep,
) -> HTMLResponse:
    async with rooms.in_room(databases, public_name) as scope:
        room = scope.room
        replay = media.replay_url(settings, room) if room.status == "ended" else None
        chapters = await _chapters(scope) if replay else []
        shopper = _shopper_of_market(user, room.market_code)
        reminded = shopper is not None and room.id in await service.reminded(
            scope.cell, shopper_id=shopper.user_id, room_ids=[room.id]
        )
    return page.render(
        "live/room.html",
        room=room,
        room_market=scope.market,
        # viewers never get the stream's address while the host rehearses
        hls_url=media.hls_url(settings, room) if room.status == "live" else None,
        video_available=media.video_available(settings),
        replay_url=replay,
        chapters=chapters,
        reminded=reminded,
        can_remind=shopper is not None,
    )


def _back_to(target: str, public_name: str) -> str:
    return target if target in ("/live", f"/live/{public_name}") else f"/live/{public_name}"


@public_router.post("/live/{public_name}/remind", dependencies=[CsrfChecked])
async def remind_me(
    public_name: str,
    page: PageDep,
    user: CurrentUser,
    databases: DatabasesDep,
    next: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    async with rooms.in_room(databases, public_name, write=True) as scope:
        await service.remind(scope, user)
        title = scope.room.title
    page.flash(page.gettext("We'll let you know when “%(title)s” starts.", title=title))
    return RedirectResponse(_back_to(next, public_name), status_code=303)


# --- hosts: rooms and the schedule form ------------------------------------------------------


async def _rooms_page(
    page: Page,
    seat: Seat,
    databases: Databases,
    session: AsyncSession,
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    products = await catalog_service.list_for_shop(session, shop_id=seat.shop.id)
    markets = {market.code: market for market in page.markets}
    hosted = await service.rooms_of_shop(databases, shop_id=seat.shop.id)
    return page.render(
        "seller/live/rooms.html",
        status_code=status_code,
        seat=seat,
        rooms=[
            (room, _market_time(room.scheduled_at, markets.get(room.market_code)))
            for room in hosted
        ],
        products=[p for p in products if p.status == "published"],
        form=form or {},
        error=error,
    )


@host_router.get("", response_class=HTMLResponse)
async def host_rooms(
    page: PageDep, seat: CurrentSeat, databases: DatabasesDep, session: GlobalRead
) -> HTMLResponse:
    return await _rooms_page(page, seat, databases, session)


def _market_time(moment: datetime, market: Market | None) -> str:
    """A time as the room's market reads it on its clocks (Seller Center is in English)."""
    zone = ZoneInfo(market.timezone if market else "UTC")
    return format_datetime(moment, "medium", tzinfo=zone, locale=SOURCE_LOCALE) + f" ({zone.key})"


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


@dataclass(frozen=True)
class ScheduleForm:
    market: Market
    title: str
    starts_at: datetime
    product_ids: list[int]
    rehearsal: bool
    cover: tuple[bytes, str] | None


async def _schedule_form(page: Page, form: FormData) -> ScheduleForm:
    typed = {k: v for k, v in form.items() if isinstance(v, str)}
    market = _market_named(page, typed.get("market", ""))
    return ScheduleForm(
        market=market,
        title=typed.get("title", ""),
        starts_at=_starts_at(typed.get("starts_at", ""), market),
        product_ids=_product_ids(form.getlist("product_id")),
        rehearsal=bool(typed.get("rehearsal")),
        cover=await _cover(form.get("cover")),
    )


async def _schedule(
    databases: Databases, global_: AsyncSession, seat: Seat, wanted: ScheduleForm
) -> tuple[LiveRoom, str]:
    """Schedule in the market's cell. The cover is written first, and removed again if the
    room isn't saved."""
    settings = databases.settings
    cover_path = await _save_cover(settings, wanted.cover) if wanted.cover else ""
    try:
        await global_.connection()  # the global connection first, then the cell's (deps.py)
        async with databases.session(settings.cell_of_market(wanted.market.code)) as cell:
            room, key = await rooms.schedule(
                cell,
                global_,
                host_user_id=seat.user.user_id,
                shop_id=seat.shop.id,
                market=wanted.market.code,
                title=wanted.title,
                scheduled_at=wanted.starts_at,
                product_ids=wanted.product_ids,
                rehearsal=wanted.rehearsal,
            )
            room.cover_path = cover_path
        return room, key
    except BaseException:
        if cover_path:
            (settings.media_dir / cover_path).unlink(missing_ok=True)
        raise


async def _save_cover(settings: Settings, cover: tuple[bytes, str]) -> str:
    data, extension = cover
    relative = f"{COVERS}/{uuid.uuid4().hex}.{extension}"
    await asyncio.to_thread(write_file, settings.media_dir / relative, data)
    return relative


@host_router.post("", dependencies=[CsrfChecked], response_model=None)
async def schedule_room(
    request: Request,
    page: PageDep,
    seat: CurrentSeat,
    databases: DatabasesDep,
    settings: SettingsDep,
    session: GlobalRead,
) -> HTMLResponse:
    """Schedule a room; the console that answers shows the secret stream key, once."""
    form = await request.form()
    try:
        room, key = await _schedule(databases, session, seat, await _schedule_form(page, form))
    except DomainError as exc:
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        chosen = [v for v in form.getlist("product_id") if isinstance(v, str)]
        return await _rooms_page(
            page,
            seat,
            databases,
            session,
            status_code=form_status(exc),
            form={**typed, "product_ids": chosen},
            error=exc.message,
        )
    hosted = HostedRoom(room.public_name, request, page, seat, databases, settings)
    return await hosted.console(new_key=key, status_code=201)


# --- hosts: the console ----------------------------------------------------------------------

# what a console action did: the message for the room (None: nothing to tell) and the flash
Outcome = tuple[dict[str, Any] | None, str]
HostAct = Callable[[RoomScope], Awaitable[Outcome]]


@dataclass
class HostedRoom(HostRequest):
    """A room as its host's shop works on it from the console."""

    async def console(
        self, *, new_key: str | None = None, error: str | None = None, status_code: int = 200
    ) -> HTMLResponse:
        async with rooms.in_room(self.databases, self.public_name) as scope:
            room = scope.room
            rooms.ensure_host(room, shop_id=self.seat.shop.id)
            product_ids = await service.room_product_ids(scope.cell, room)
            titles = {
                s.product_id: s.title
                for s in await catalog_service.sellables_of_products(
                    scope.global_, product_ids, market=room.market_code
                )
            }
            context = {
                "products": [(pid, titles[pid]) for pid in product_ids if pid in titles],
                "pinned": await commerce.pinned_product(scope.cell, room),
                "moderators": await service.moderators(scope.cell, room),
                "muted": await service.muted(scope.cell, room),
                # the host watches the stream from the first frame, rehearsal included
                "preview_url": media.hls_url(self.settings, room)
                if room.status in ("rehearsal", "live")
                else None,
            }
        return self.page.render(
            "seller/live/console.html",
            status_code=status_code,
            seat=self.seat,
            room=room,
            room_market=scope.market,
            stream=media.stream_panel(self.settings, room, new_key),
            stream_error=None,
            error=error,
            **context,
        )

    async def act(self, act: HostAct) -> HTMLResponse | RedirectResponse:
        """Run `act` in the host's own room in one unit of work; publish once committed."""
        try:
            async with rooms.in_room(self.databases, self.public_name, write=True) as scope:
                rooms.ensure_host(scope.room, shop_id=self.seat.shop.id)
                message, done = await act(scope)
        except DomainError as exc:  # shown on the console, which refuses other shops' rooms
            return await self.console(error=exc.message, status_code=form_status(exc))
        if message is not None:
            await self.request.app.state.live_hub.publish(self.public_name, message)
        self.page.flash(done)
        return RedirectResponse(f"/seller/live/{self.public_name}", status_code=303)


HostedRoomDep = Annotated[HostedRoom, Depends(host_request(HostedRoom))]


@host_router.get("/{public_name}", response_class=HTMLResponse)
async def console(hosted: HostedRoomDep) -> HTMLResponse:
    return await hosted.console()


@host_router.post("/{public_name}/pin", dependencies=[CsrfChecked], response_model=None)
async def pin(
    hosted: HostedRoomDep, product_id: Annotated[int, Form()]
) -> HTMLResponse | RedirectResponse:
    async def act(scope: RoomScope) -> Outcome:
        card = await service.pin(scope, product_id)
        return {"type": "pin", "product": card}, f"Pinned “{card['title']}”: viewers see it now."

    return await hosted.act(act)


@host_router.post("/{public_name}/unpin", dependencies=[CsrfChecked], response_model=None)
async def unpin(hosted: HostedRoomDep) -> HTMLResponse | RedirectResponse:
    async def act(scope: RoomScope) -> Outcome:
        if await service.unpin(scope):
            return {"type": "unpin"}, "Unpinned: viewers see no product card now."
        return None, "Nothing was pinned."

    return await hosted.act(act)


@host_router.post("/{public_name}/moderators", dependencies=[CsrfChecked], response_model=None)
async def appoint_moderator(
    hosted: HostedRoomDep, email: Annotated[str, Form(max_length=254)]
) -> HTMLResponse | RedirectResponse:
    async def act(scope: RoomScope) -> Outcome:
        name = await service.appoint_moderator(scope, email=email)
        return None, f"{name} is a moderator of this room: they can delete comments and mute."

    return await hosted.act(act)


@host_router.post(
    "/{public_name}/moderators/{shopper_id}/remove", dependencies=[CsrfChecked], response_model=None
)
async def remove_moderator(
    hosted: HostedRoomDep, shopper_id: int
) -> HTMLResponse | RedirectResponse:
    async def act(scope: RoomScope) -> Outcome:
        await service.remove_moderator(scope.cell, scope.room, shopper_id)
        return None, "Moderator removed."

    return await hosted.act(act)


@host_router.post(
    "/{public_name}/muted/{shopper_id}/unmute", dependencies=[CsrfChecked], response_model=None
)
async def unmute(hosted: HostedRoomDep, shopper_id: int) -> HTMLResponse | RedirectResponse:
    async def act(scope: RoomScope) -> Outcome:
        await service.unmute(scope.cell, scope.room, shopper_id)
        notice = {
            "type": "notice",
            "to_shopper": shopper_id,
            "message": "The host unmuted you: you can comment again.",
        }
        return notice, "Unmuted: they can comment again."

    return await hosted.act(act)
