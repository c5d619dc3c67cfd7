"""The media server's callbacks: nginx-rtmp calls `hooks_router` only (the token in its
callback URLs says so, checked for every route): a 2xx lets a publish through, a 4xx
refuses it. (The host's stream panel is live.seller_pages.)"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query

from shoptide.deps import DatabasesDep, SettingsDep
from shoptide.errors import NotAllowed
from shoptide.live import media, streaming
from shoptide.live.deps import HubDep


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
    databases: DatabasesDep,
    hub: HubDep,
    name: StreamName,
    key: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, str]:
    status = await streaming.begin_publishing(databases, hub, name, key=key)
    return {"room": name, "status": status}


@hooks_router.post("/publish-done")
async def publish_done(databases: DatabasesDep, hub: HubDep, name: StreamName) -> dict[str, str]:
    status = await streaming.end_publishing(databases, hub, name)
    return {"room": name, "status": status}


@hooks_router.post("/record-done")
async def record_done(
    background: BackgroundTasks,
    databases: DatabasesDep,
    name: StreamName,
    path: Annotated[str, Form(max_length=1000)],
) -> dict[str, str]:
    """The recording is closed; the remux runs after nginx has its answer."""
    recording = await streaming.accept_recording(databases, name, path)
    if recording is not None:
        background.add_task(media.make_replay, databases, name, recording)
    return {"room": name, "replay": "processing" if recording is not None else "discarded"}
