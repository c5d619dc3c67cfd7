"""Routes of live video: the media server's callbacks, and the host's stream panel.

`hooks_router` is called by nginx-rtmp only (the token in its callback URLs says so): a 2xx
lets a publish through, a 4xx refuses it. `router` is the host's side under
/seller/live/{public_name}/stream: encoder settings, stream keys, rehearsal, open, end. The
panel sits in the room's console (htmx swaps it in place); without JavaScript its forms
lead back to the console, except a new key, shown once on a page of its own.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shoptide.deps import CsrfChecked, DatabasesDep, SettingsDep
from shoptide.errors import Conflict, NotAllowed
from shoptide.live import media, rooms
from shoptide.live.deps import HostRequest, host_request
from shoptide.live.models import LiveRoom

log = structlog.get_logger(__name__)

VIEWER_STATUSES = ("live", "ended")  # the statuses viewers hear about


async def announce(request: Request, public_name: str, status: str) -> None:
    """Tell the room's viewers (and its console) the new status. The change is committed
    already: a hub that fails is logged, never turned into a refusal for nginx."""
    hub = getattr(request.app.state, "live_hub", None)
    if hub is None:
        return
    message: dict[str, Any] = {"type": "status", "status": status}
    if status not in VIEWER_STATUSES:
        message["to_hosts"] = True  # a rehearsal is the host's business
    try:
        await hub.publish(public_name, message)
    except Exception:  # Redis or whatever the hub runs on; the room's state is right anyway
        log.exception("could not announce the room's status", room=public_name, status=status)


# --- nginx-rtmp callbacks --------------------------------------------------------------------


async def nginx_only(
    settings: SettingsDep, token: Annotated[str, Query(max_length=200)] = ""
) -> None:
    if not media.hook_token_matches(settings, token):
        raise NotAllowed("Only the media server may call this.")


hooks_router = APIRouter(
    prefix=media.HOOK_PATH, include_in_schema=False, dependencies=[Depends(nginx_only)]
)

# nginx posts the stream name, and the publish URL's query arguments as fields of their own
StreamName = Annotated[str, Form(alias="name", max_length=40)]


@hooks_router.post("/publish")
async def publish(
    request: Request,
    databases: DatabasesDep,
    name: StreamName,
    key: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, str]:
    async with media.room_session(databases, name) as session:
        room = await rooms.begin_publishing(session, public_name=name, key=key)
        status = room.status
    await announce(request, name, status)
    return {"room": name, "status": status}


@hooks_router.post("/publish-done")
async def publish_done(
    request: Request, databases: DatabasesDep, name: StreamName
) -> dict[str, str]:
    async with media.room_session(databases, name) as session:
        room = await rooms.end_publishing(session, public_name=name)
        status = room.status
    await announce(request, name, status)
    return {"room": name, "status": status}


@hooks_router.post("/record-done")
async def record_done(
    background: BackgroundTasks,
    settings: SettingsDep,
    databases: DatabasesDep,
    name: StreamName,
    path: Annotated[str, Form(max_length=1000)],
) -> dict[str, str]:
    """The recording is closed; the remux runs after nginx has its answer."""
    recording = media.recording_of(settings, name, path)
    async with media.room_session(databases, name) as session:
        room = await rooms.get(session, name)
        kept = await media.accept_recording(session, room, recording)
    if kept:
        background.add_task(media.make_replay, databases, name, recording)
    return {"room": name, "replay": "processing" if kept else "discarded"}


# --- the host's stream panel -----------------------------------------------------------------

router = APIRouter(prefix="/seller/live/{public_name}/stream", include_in_schema=False)

# a change to the room in one unit of work; returns a new stream key when it made one
StreamChange = Callable[[AsyncSession, LiveRoom], Awaitable[str | None]]
AfterChange = Callable[[LiveRoom], Awaitable[None]]


@dataclass
class HostedStream(HostRequest):
    """The room's stream as its host's shop sees it, and how to answer the host."""

    @property
    def console_url(self) -> str:
        return f"/seller/live/{self.public_name}"

    @asynccontextmanager
    async def room(self, *, write: bool) -> AsyncIterator[tuple[AsyncSession, LiveRoom]]:
        async with media.room_session(self.databases, self.public_name, write=write) as session:
            room = await rooms.get(session, self.public_name)
            rooms.ensure_host(room, shop_id=self.seat.shop.id)
            yield session, room

    def render(
        self,
        room: LiveRoom,
        *,
        new_key: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The panel alone for htmx (the console swaps it in place), else a page around it."""
        fragment = self.request.headers.get("HX-Request") == "true"
        return self.page.render(
            "media/stream_panel.html" if fragment else "media/stream_page.html",
            status_code=status_code,
            seat=self.seat,
            room=room,
            stream=media.stream_panel(self.settings, room, new_key),
            stream_error=error,
        )

    async def change(
        self, change: StreamChange, *, done: str, after: AfterChange | None = None
    ) -> Response:
        """Apply the change; a refused one shows the panel again with the reason. `after`
        runs once the change is committed (a call to nginx, a message to viewers)."""
        try:
            async with self.room(write=True) as (session, room):
                new_key = await change(session, room)
        except Conflict as exc:
            async with self.room(write=False) as (_, room):
                return self.render(room, error=exc.message, status_code=exc.status_code)
        if after is not None:
            await after(room)
        if new_key is not None or self.request.headers.get("HX-Request") == "true":
            return self.render(room, new_key=new_key)  # a new key is shown once, never redirected
        self.page.flash(done)
        return RedirectResponse(self.console_url, status_code=303)


HostedStreamDep = Annotated[HostedStream, Depends(host_request(HostedStream))]


@router.get("", response_class=HTMLResponse)
async def stream_panel(stream: HostedStreamDep) -> HTMLResponse:
    async with stream.room(write=False) as (_, room):
        return stream.render(room)


@router.post("/key", dependencies=[CsrfChecked], response_model=None)
async def rotate_key(stream: HostedStreamDep) -> Response:
    return await stream.change(media.rotate_key, done="New stream key made.")


@router.post("/key/revoke", dependencies=[CsrfChecked], response_model=None)
async def revoke_key(stream: HostedStreamDep) -> Response:
    return await stream.change(
        media.revoke_key, done="Stream key revoked: no encoder can start this room with it."
    )


@router.post("/rehearsal", dependencies=[CsrfChecked], response_model=None)
async def set_rehearsal(
    stream: HostedStreamDep, rehearsal: Annotated[bool, Form()] = False
) -> Response:
    async def switch(session: AsyncSession, room: LiveRoom) -> None:
        await media.set_rehearsal(session, room, rehearsal=rehearsal)

    return await stream.change(
        switch,
        done="The stream will start as a rehearsal: only you see it until you open the room."
        if rehearsal
        else "The stream will go live to viewers as soon as your encoder connects.",
    )


@router.post("/open", dependencies=[CsrfChecked], response_model=None)
async def open_to_viewers(stream: HostedStreamDep) -> Response:
    async def tell_viewers(room: LiveRoom) -> None:
        await announce(stream.request, room.public_name, room.status)

    return await stream.change(
        rooms.open_to_viewers, done="You are live: viewers see the stream.", after=tell_viewers
    )


@router.post("/end", dependencies=[CsrfChecked], response_model=None)
async def end_live(stream: HostedStreamDep) -> Response:
    async def stop_encoder(room: LiveRoom) -> None:
        await media.drop_publisher(stream.settings, room.public_name)
        await announce(stream.request, room.public_name, room.status)

    return await stream.change(
        rooms.end, done="The live room has ended. The replay follows shortly.", after=stop_encoder
    )
