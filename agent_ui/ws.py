"""The agent WebSocket: ``GET /ws?token=TOKEN[&stream=agent|wallboard][&after_seq=N]``.

Server -> client: ``{"seq": int, "type": str, "data": {...}}``, seq rising by one per stream
(``agent:<username>`` for an agent's desktop, ``supervisors`` for the wallboard). A client that
reconnects sends ``{"type": "resume", "after_seq": N}`` (or passes ``after_seq``) and receives what
it missed. Client -> server messages that are not JSON objects of a known type get an ``error``
message (``seq`` is the last delivered seq, so it never disturbs resumption); the socket stays open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_ui.live.presence import SUPERVISORS, agent_stream
from agent_ui.services import Services
from bus.base import Outbox
from domain.errors import SwitchboardError

log = logging.getLogger(__name__)
READ_WAIT_SECONDS = 20.0
MAX_CLIENT_MESSAGE = 4096
# How uvicorn should serve these sockets (``uvicorn.run(..., ws=..., ws_per_message_deflate=...)``).
# The sans-I/O websockets protocol runs no tasks of its own per connection, and permessage-deflate
# keeps a zlib compressor and decompressor per socket (~90 KB of RSS each, 90 MB for 1,000 agents)
# to shrink frames of a few hundred bytes on a LAN.
UVICORN_WS: Final = "websockets-sansio"
UVICORN_WS_DEFLATE: Final = False


@dataclass(frozen=True, slots=True)
class SocketUser:
    username: str
    role: str


Authenticate = Callable[[str], Awaitable[SocketUser | None]]


def _services_authenticate(services: Services) -> Authenticate:
    async def authenticate(token: str) -> SocketUser | None:
        try:
            claims = services.tokens.decode(token)
        except SwitchboardError:
            return None
        return SocketUser(username=claims.username, role=claims.role)

    return authenticate


class _Session:
    def __init__(self, ws: WebSocket, outbox: Outbox, stream: str, after_seq: int) -> None:
        self.ws, self.outbox, self.stream, self.last = ws, outbox, stream, after_seq
        self._sender: asyncio.Task[None] | None = None
        self._reading = False
        self._resumed = False
        # idle sockets re-read at spread times, not all at once (they often connect together)
        self._wait = READ_WAIT_SECONDS * random.uniform(0.8, 1.2)

    def resume(self, after: int) -> None:
        """Deliver again from ``after``: a read in flight is interrupted and made again."""
        self.last, self._resumed = after, True
        if self._reading and self._sender is not None:
            self._sender.cancel()  # caught in send_loop, which reads again from ``after``

    async def send_loop(self) -> None:
        """Read the stream and send what comes, in one task for the socket's life (no task per
        read: each would live until the agent's next message, for the collector to walk)."""
        self._sender = sender = asyncio.current_task()
        assert sender is not None
        while True:
            self._resumed = False
            self._reading = True
            try:
                messages = await self.outbox.read(self.stream, self.last, self._wait)
            except asyncio.CancelledError:
                if self._resumed and sender.uncancel() == 0:  # our resume, not the socket closing
                    continue
                raise
            finally:
                self._reading = False
            if self._resumed:  # resumed while the read completed: read again from the resumed seq
                continue
            for message in messages:
                if message.seq <= self.last:
                    continue
                await self.ws.send_text(message.to_wire())
                self.last = message.seq

    async def error(self, message: str) -> None:
        body = {"seq": self.last, "type": "error",
                "data": {"error_id": "protocol-violation", "message": message}}
        await self.ws.send_text(json.dumps(body))

    async def receive_loop(self) -> None:
        while True:
            text = await self.ws.receive_text()
            msg = _parse(text)
            if msg is None:
                await self.error("expected a JSON object with a known 'type'")
            elif msg["type"] == "ping":
                await self.ws.send_text(json.dumps({"seq": self.last, "type": "pong", "data": {}}))
            elif msg["type"] == "resume":
                after = msg.get("after_seq")
                if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                    await self.error("resume needs a non-negative integer 'after_seq'")
                    continue
                self.resume(after)


def _parse(text: str) -> dict[str, Any] | None:
    if len(text) > MAX_CLIENT_MESSAGE:
        return None
    try:
        msg = json.loads(text)
    except ValueError:
        return None
    if not isinstance(msg, dict) or msg.get("type") not in ("resume", "ping"):
        return None
    return msg


def build_ws_router(outbox: Outbox | None = None, authenticate: Authenticate | None = None) -> APIRouter:
    """The ``/ws`` route; without arguments it uses the app's services at connect time."""
    router = APIRouter()

    @router.websocket("/ws")
    async def agent_socket(websocket: WebSocket, token: str = "", stream: str = "agent",
                           after_seq: int | None = None) -> None:
        services: Services | None = getattr(websocket.app.state, "services", None)
        box = outbox if outbox is not None else (services.outbox if services else None)
        auth = authenticate or (_services_authenticate(services) if services else None)
        if box is None or auth is None:
            await websocket.close(code=1011, reason="not ready")
            return
        token = token or websocket.cookies.get("sb_token", "")
        user = await auth(token) if token else None
        if user is None:  # accept, then close with a code the page can act on (sign in again)
            await websocket.accept()
            await websocket.close(code=4401, reason="authentication required")
            return
        if stream == "wallboard" and user.role in ("supervisor", "admin"):
            name = SUPERVISORS
        elif stream == "agent":
            name = agent_stream(user.username)
        else:
            await websocket.accept()
            await websocket.close(code=4403, reason="stream not allowed")
            return
        await websocket.accept()
        start = after_seq if after_seq is not None and after_seq >= 0 else await box.last_seq(name)
        session = _Session(websocket, box, name, start)
        await websocket.send_text(json.dumps(
            {"seq": start, "type": "hello", "data": {"stream": name, "username": user.username}}))
        tasks = [asyncio.create_task(session.send_loop(), name=f"ws-send-{name}"),
                 asyncio.create_task(session.receive_loop(), name=f"ws-recv-{name}")]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                    log.warning("websocket %s ended: %r", name, exc)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    return router
