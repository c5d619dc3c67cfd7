"""The live room's WebSocket, /live/{public_name}/ws.

Anyone may watch; the signed session cookie says who is there (SessionMiddleware reads it
for WebSockets too). The socket holds no database session: who someone is and the snapshot
are read when it joins, and each message runs a flow with a short unit of work of its own.
What a message changes is published to the room only after it committed.

Client → server: {"type": "comment", "body"}, {"type": "delete_comment", "id"} and
{"type": "mute", "comment_id"} (the last two for the host and moderators). Server →
client: snapshot, status, viewers, comment, comment_deleted, pin, unpin, notice, error
(to that socket only), and the commerce messages (deal, deal_stock, deal_ended,
purchase, offer).
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from shoptide.accounts.service import Principal
from shoptide.db import Databases
from shoptide.deps import cookie_principal
from shoptide.errors import DomainError, InvalidInput, NotAllowed, NotFound, SlowDown
from shoptide.live import flows, service
from shoptide.live.realtime import Hub, Viewer

log = structlog.get_logger(__name__)

public_router = APIRouter()  # anyone may watch; each message checks who is asking

MAX_MESSAGE_CHARS = 2_000
NO_SUCH_ROOM = 4404  # close code: the room doesn't exist
HOST_ROLES = ("host", "moderator")  # the sockets that hear messages sent `to_hosts`


@dataclass(frozen=True)
class Connection:
    """One socket's place in a room: what its messages act with."""

    databases: Databases
    hub: Hub
    room: str
    you: service.Participant
    viewer: Viewer

    def tell(self, message: dict[str, Any]) -> None:
        """A message for this socket alone, in order with what the room says."""
        self.viewer.offer(json.dumps(message, separators=(",", ":")))


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send Origin on WebSocket handshakes: a page of another site may watch, but
    never with the visitor's session (cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def signed_in(websocket: WebSocket, databases: Databases) -> Principal | None:
    """The WebSocket's deps.optional_user: the session cookie's account, or None."""
    if not _same_origin(websocket):
        return None
    return await cookie_principal(databases, websocket.session)


@public_router.websocket("/live/{public_name}/ws")
async def live_socket(websocket: WebSocket, public_name: str) -> None:
    databases: Databases = websocket.app.state.databases
    hub: Hub = websocket.app.state.live_hub
    user = await signed_in(websocket, databases)
    viewer = Viewer(websocket)
    # In the room before the snapshot is read: what is said meanwhile waits in the viewer's
    # queue (at worst twice, never lost). One short read serves who they are and the snapshot.
    async with hub.watching(public_name, viewer) as viewers:
        try:
            you, snapshot = await flows.join(
                databases,
                public_name,
                user=user,
                viewers=viewers,
                identify=lambda you: viewer.identify(
                    shopper_id=you.shopper_id, host=you.role in HOST_ROLES
                ),
            )
        except NotFound:
            await websocket.close(NO_SUCH_ROOM)
            return
        await websocket.accept()
        connection = Connection(databases, hub, public_name, you, viewer)
        try:
            await websocket.send_text(json.dumps(snapshot))
            await viewer.serve(lambda: _read(websocket, connection))
        except WebSocketDisconnect:
            pass  # left while the snapshot was on its way


async def _read(websocket: WebSocket, connection: Connection) -> None:
    while True:
        try:
            text = await websocket.receive_text()
        except WebSocketDisconnect:
            return
        try:
            await _handle(connection, text)
        except DomainError as exc:
            connection.tell({"type": "error", "message": exc.message})
        except Exception:  # one bad message must not end the viewer's session
            log.exception("live.message_failed", room=connection.room)
            connection.tell({"type": "error", "message": "Something went wrong. Try again."})


async def _handle(connection: Connection, text: str) -> None:
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput("That message is too long.")
    try:
        message = json.loads(text)
    except ValueError:
        raise InvalidInput("Messages are JSON objects.") from None
    action = ACTIONS.get(str(message.get("type"))) if isinstance(message, dict) else None
    if action is None:
        raise InvalidInput("This socket doesn't know that kind of message.")
    await action(connection, message)


def _number(message: dict[str, Any], field: str) -> int:
    value = message.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"The message needs a number in {field!r}.")
    return value


async def _comment(connection: Connection, message: dict[str, Any]) -> None:
    body = message.get("body")
    if not isinstance(body, str):
        raise InvalidInput("Write a comment first.")
    you = connection.you
    if you.refusal:
        raise NotAllowed(you.refusal)
    # Hosts are the shop's own staff: their announcements are not rate limited.
    limited = you.role != "host"
    key = f"comment:{connection.room}:{you.cell}:{you.user_id}"
    if limited and not await connection.hub.allow(key, service.COMMENT_LIMITS):
        raise SlowDown("You're commenting too fast. Wait a moment and try again.")
    comment = await flows.comment(connection.databases, connection.room, you=you, body=body)
    await connection.hub.publish(connection.room, service.comment_message(comment))


async def _delete_comment(connection: Connection, message: dict[str, Any]) -> None:
    comment_id = _number(message, "id")
    await flows.delete_comment(
        connection.databases, connection.room, you=connection.you, comment_id=comment_id
    )
    await connection.hub.publish(connection.room, {"type": "comment_deleted", "id": comment_id})


async def _mute(connection: Connection, message: dict[str, Any]) -> None:
    comment_id = _number(message, "comment_id")
    comment = await flows.mute_author(
        connection.databases, connection.room, you=connection.you, comment_id=comment_id
    )
    await connection.hub.publish(
        connection.room,
        {
            "type": "notice",
            "to_shopper": comment.author_id,
            "message": "The host muted you in this room: you can watch, not comment.",
        },
    )
    connection.tell({"type": "notice", "message": f"{comment.author_name} is muted in this room."})


ACTIONS: dict[str, Callable[[Connection, dict[str, Any]], Awaitable[None]]] = {
    "comment": _comment,
    "delete_comment": _delete_comment,
    "mute": _mute,
}
