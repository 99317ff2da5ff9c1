"""The thin I/O shell around :class:`cti.ami.session.AmiSession`: one TCP connection to AMI.

``run()`` is a supervised loop: connect, log in, read; ping when due; declare the link dead after
``dead_after`` seconds of silence (a half-open socket included) and reconnect with backoff. On a
drop every pending action fails and none is re-sent: a pending Originate raises
DialOutcomeUnknown, so the dialer reconciles it from the call's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from config.settings import AmiServer
from cti.ami.framing import AmiMessage
from cti.ami.session import ActionResult, AmiSession, SessionState
from domain.errors import CarrierError, CarrierUnavailable, DialOutcomeUnknown

log = logging.getLogger(__name__)
OnEvents = Callable[[list[AmiMessage]], Awaitable[None]]
OnLogin = Callable[[], Awaitable[None]]


class AmiConnection:
    def __init__(
        self, server: AmiServer, *, events: bool, on_events: OnEvents | None = None,
        on_login: OnLogin | None = None, ping_interval: float = 5.0, dead_after: float = 12.0,
        max_backoff: float = 5.0, connect_timeout: float = 3.0, min_backoff: float = 0.2,
    ) -> None:
        self.server = server
        self.label = f"{server.name}{'' if events else '/actions'}"
        self._session = AmiSession(
            server.username, server.secret.get_secret_value(), ping_interval=ping_interval,
            dead_after=dead_after, events="on" if events else "off",
        )
        self._on_events, self._on_login = on_events, on_login
        self._max_backoff, self._connect_timeout = max_backoff, connect_timeout
        self._min_backoff = min(min_backoff, max_backoff)
        self._writer: asyncio.StreamWriter | None = None
        self._futures: dict[str, asyncio.Future[ActionResult]] = {}
        self._logged_in = asyncio.Event()
        self._login_task: asyncio.Future[None] | None = None  # the resync hook; cancelled on a drop
        self.connects = 0

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    async def wait_connected(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._logged_in.wait()
        return self._logged_in.is_set()

    async def run(self) -> None:
        backoff = self._min_backoff
        while True:
            logins = self.connects
            try:
                await self._connect_and_serve()
            except (OSError, TimeoutError) as exc:
                log.warning("AMI %s: %s; retrying in %.1fs", self.label, exc, backoff)
            finally:
                self._connection_lost()
            if self.connects > logins:
                backoff = self._min_backoff  # it worked: reconnect promptly
            # else a refused, or accepted-then-dropped, connection: back off further each time
            await asyncio.sleep(backoff)
            backoff = min(self._max_backoff, backoff * 2)

    async def _connect_and_serve(self) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout):
            reader, writer = await asyncio.open_connection(self.server.host, self.server.port)
        self._writer = writer
        try:
            writer.write(self._session.connection_made(loop.time()))
            await writer.drain()
            await self._read_loop(reader, writer, loop)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _read_loop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         loop: asyncio.AbstractEventLoop) -> None:
        session = self._session
        while True:
            wait = max(0.05, session.next_deadline(loop.time()))
            try:
                async with asyncio.timeout(wait):
                    data = await reader.read(65536)
            except TimeoutError:
                data = None
            now = loop.time()
            if data == b"":
                log.warning("AMI %s: connection closed by Asterisk", self.label)
                return
            if data:
                await self._dispatch(session.receive_data(data, now))
                if session.state is SessionState.LOGIN_FAILED:
                    log.error("AMI %s: login refused: %s", self.label, session.login_message)
                    await asyncio.sleep(self._max_backoff)
                    return
            if session.is_dead(now):
                log.warning("AMI %s: no traffic for %.0fs; declaring the link dead",
                            self.label, session.dead_after)
                return
            if session.ping_due(now):
                writer.write(session.make_ping(now))
                await writer.drain()

    async def _dispatch(self, items: list[AmiMessage | ActionResult]) -> None:
        events: list[AmiMessage] = []
        for item in items:
            if isinstance(item, AmiMessage):
                events.append(item)
                continue
            if item.name == "Login" and item.success:
                await self._flush(events)
                events = []
                self.connects += 1
                self._logged_in.set()
                log.info("AMI %s: logged in (%s)", self.label, self.server.host)
                if self._on_login is not None:
                    # the hook sends actions (resync), so it runs beside this read loop
                    self._login_task = asyncio.ensure_future(self._on_login())
                    self._login_task.add_done_callback(_log_failure)
                continue
            future = self._futures.pop(item.action_id, None)
            if future is not None and not future.done():
                # the events that came before the answer are applied first: a resync compares the
                # call table with a snapshot taken at the answer's place in the stream
                await self._flush(events)
                events = []
                future.set_result(item)
        await self._flush(events)

    async def _flush(self, events: list[AmiMessage]) -> None:
        if events and self._on_events is not None:
            await self._on_events(events)

    def _connection_lost(self) -> None:
        self._logged_in.clear()
        if self._login_task is not None:
            self._login_task.cancel()
            self._login_task = None
        self._writer = None
        for pending in self._session.connection_lost():
            future = self._futures.pop(pending.action_id, None)
            if future is None or future.done():
                continue
            if pending.name.lower() == "originate":
                future.set_exception(DialOutcomeUnknown(
                    "AMI connection dropped before the Originate was answered",
                    {"action_id": pending.action_id}))
            else:
                future.set_exception(CarrierError(f"AMI connection dropped during {pending.name}"))

    async def action(self, name: str, fields: Mapping[str, str] | Iterable[tuple[str, str]], *,
                     timeout: float = 10.0, action_id: str | None = None) -> ActionResult:
        """Send an action once and wait for its result. Never re-sent on a drop."""
        writer = self._writer
        if writer is None or not self.connected:
            raise CarrierUnavailable(f"AMI {self.label} is not connected")
        loop = asyncio.get_running_loop()
        action_id, data = self._session.send_action(name, fields, loop.time(), action_id=action_id)
        future: asyncio.Future[ActionResult] = loop.create_future()
        self._futures[action_id] = future
        try:
            writer.write(data)
            await writer.drain()
        except OSError as exc:
            self._futures.pop(action_id, None)
            if name.lower() == "originate":
                raise DialOutcomeUnknown("AMI write failed during Originate") from exc
            raise CarrierError(f"AMI write failed during {name}") from exc
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            self._futures.pop(action_id, None)
            if name.lower() == "originate":
                raise DialOutcomeUnknown("no answer to the Originate in time") from exc
            raise CarrierError(f"no answer to {name} in {timeout}s") from exc


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("AMI on-login hook failed", exc_info=task.exception())
