"""The agent WebSocket: ``GET /ws?ticket=TICKET[&stream=agent|wallboard][&after_seq=N]``.

The pages authenticate with a single-use ticket from ``POST /api/ws-ticket`` (:mod:`agent_ui.ws_tickets`),
so the sign-in token never rides in a URL; the session cookie, or ``?token=`` for API clients, also work.

Server -> client: ``{"seq": int, "type": str, "data": {...}}``, seq rising by one per stream
(``agent:<username>`` for an agent's desktop, ``supervisors`` for the wallboard). A client that
reconnects sends ``{"type": "resume", "after_seq": N}`` (or passes ``after_seq``) and receives what
it missed. Client -> server messages that are not JSON objects of a known type get an ``error``
message (``seq`` is the last delivered seq, so it never disturbs resumption); the socket stays open.

A seq past the stream's end means the stream restarted (the in-process outbox after a server
restart, or Redis keys that expired): the client gets ``{"seq": 0, "type": "reset", "data":
{"stream", "last_seq"}}``, reloads its snapshot (agent state, wallboard) over REST, and then the
stream's retained messages from seq 1. The send loop never spins: each pass either waits in the
outbox's read or delivers at least one message or a reset.

At shutdown :class:`SocketRegistry` closes every open socket with 1001 (going away) before uvicorn
drops the connections, so the pages reconnect to whichever worker is up.
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

from agent_ui.services import Services
from agent_ui.sessions import SocketOwner, session_guard, user_for_claims, user_for_token
from agent_ui.tokens import COOKIE_NAME
from agent_ui.ws_tickets import TicketLedger, ticket_ledger
from bus.base import Outbox
from bus.outbox_names import SUPERVISORS, agent_stream
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
    user_id: int = 0
    token_version: int = 0


Authenticate = Callable[[str], Awaitable[SocketUser | None]]
TICKET_PREFIX = "ticket:"  # what the route hands to Authenticate for a ?ticket= (vs a token)


def _services_authenticate(services: Services, tickets: TicketLedger) -> Authenticate:
    async def authenticate(token: str) -> SocketUser | None:
        if token.startswith(TICKET_PREFIX):
            try:
                claims = tickets.redeem(token.removeprefix(TICKET_PREFIX))
            except SwitchboardError:
                return None
            found = await user_for_claims(services, claims)
        else:
            found = await user_for_token(services, token)  # the account and its role from the store
        if found is None:
            return None
        user, claims = found
        return SocketUser(username=user.username, role=user.role.value, user_id=user.id,
                          token_version=claims.version)

    return authenticate


class SocketRegistry:
    """The open sockets of this process, so that shutdown can close them with 1001."""

    def __init__(self) -> None:
        self._open: set[WebSocket] = set()

    def add(self, ws: WebSocket) -> None:
        self._open.add(ws)

    def discard(self, ws: WebSocket) -> None:
        self._open.discard(ws)

    def __len__(self) -> int:
        return len(self._open)

    async def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        async def close(ws: WebSocket) -> None:
            try:
                await asyncio.wait_for(ws.close(code=code, reason=reason), 1.0)
            except Exception:  # already closing, or the peer is gone: nothing more to do
                log.debug("closing a socket at shutdown failed", exc_info=True)

        sockets, self._open = list(self._open), set()
        await asyncio.gather(*(close(ws) for ws in sockets))


def socket_registry(app: Any) -> SocketRegistry:
    """The app's registry (made on first use)."""
    registry: SocketRegistry | None = getattr(app.state, "sockets", None)
    if registry is None:
        registry = app.state.sockets = SocketRegistry()
    return registry


YIELD_EVERY = 100  # a long replay gives the event loop back this often


class _Session:
    def __init__(self, ws: WebSocket, outbox: Outbox, stream: str, after_seq: int) -> None:
        self.ws, self.outbox, self.stream, self.last = ws, outbox, stream, after_seq
        self._sender: asyncio.Task[None] | None = None
        self._reading = False
        self._resumed = False
        self._check_end = False  # a resume may name a seq past the stream's end: look before reading
        # idle sockets re-read at spread times, not all at once (they often connect together)
        self._wait = READ_WAIT_SECONDS * random.uniform(0.8, 1.2)

    def resume(self, after: int) -> None:
        """Deliver again from ``after``: a read in flight is interrupted and made again."""
        self.last, self._resumed, self._check_end = after, True, True
        if self._reading and self._sender is not None:
            self._sender.cancel()  # caught in send_loop, which reads again from ``after``

    async def send_loop(self) -> None:
        """Read the stream and send what comes, in one task for the socket's life (no task per
        read: each would live until the agent's next message, for the collector to walk)."""
        self._sender = sender = asyncio.current_task()
        assert sender is not None
        while True:
            self._resumed = False
            if self._check_end:
                self._check_end = False
                if self.last > await self.outbox.last_seq(self.stream):
                    await self.reset()
                if self._resumed:  # resumed again meanwhile
                    continue
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
            if messages and messages[-1].seq <= self.last:
                # Nothing newer than what the client has, yet the read did not wait: the stream
                # restarted under the client's seq. Say so and deliver the new stream from its start
                # (never skip-and-read-again: that read would not wait either, and the loop would spin).
                await self.reset()
            sent = 0
            for message in messages:
                if message.seq <= self.last:
                    continue
                await self.ws.send_text(message.to_wire())
                self.last = message.seq
                sent += 1
                if sent % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    async def reset(self) -> None:
        """Tell the client its seq belongs to a stream that restarted; go on from seq 0."""
        last = await self.outbox.last_seq(self.stream)
        self.last = 0
        await self.ws.send_text(json.dumps(
            {"seq": 0, "type": "reset", "data": {"stream": self.stream, "last_seq": last}}))

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
    async def agent_socket(websocket: WebSocket, token: str = "", ticket: str = "", stream: str = "agent",
                           after_seq: int | None = None) -> None:
        services: Services | None = getattr(websocket.app.state, "services", None)
        box = outbox if outbox is not None else (services.outbox if services else None)
        auth = authenticate or (_services_authenticate(services, ticket_ledger(websocket.app, services.tokens))
                                if services else None)
        if box is None or auth is None:
            await websocket.close(code=1011, reason="not ready")
            return
        token = TICKET_PREFIX + ticket if ticket else token or websocket.cookies.get(COOKIE_NAME, "")
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
        last = await box.last_seq(name)
        past_end = after_seq is not None and after_seq > last
        start = 0 if past_end else after_seq if after_seq is not None and after_seq >= 0 else last
        session = _Session(websocket, box, name, start)
        await websocket.send_text(json.dumps(
            {"seq": start, "type": "hello", "data": {"stream": name, "username": user.username}}))
        if past_end:
            await session.reset()
        registry = socket_registry(websocket.app)
        registry.add(websocket)
        guard = session_guard(services)
        if guard is not None:  # closed at once when the user's session ends (agent_ui.sessions)
            guard.track(id(websocket), SocketOwner(user.user_id, user.username, user.role, user.token_version,
                                                   stream), websocket.close)
        tasks = [asyncio.create_task(session.send_loop(), name=f"ws-send-{name}"),
                 asyncio.create_task(session.receive_loop(), name=f"ws-recv-{name}")]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                    log.warning("websocket %s ended: %r", name, exc)
        finally:
            registry.discard(websocket)
            if guard is not None:
                guard.untrack(id(websocket))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    return router
