"""The AMI I/O shell (cti.ami.connection) against a tiny fake AMI server on 127.0.0.1.

Proves: a half-open link (the server stops answering, the socket stays up) is declared dead within
``dead_after`` and the shell reconnects; refused or flapping connections are retried with a growing
backoff, reset once a login succeeds; an Originate in flight when the link dies raises
DialOutcomeUnknown and is never re-sent (100 kills, three ways of dying, every ActionID received
exactly once); an action while disconnected raises CarrierUnavailable and sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from config.settings import AmiServer
from cti.ami.connection import AmiConnection
from cti.ami.framing import AmiMessage
from domain.errors import CarrierError, CarrierUnavailable, DialOutcomeUnknown

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def _parse(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode().split("\r\n"):
        key, _, value = line.partition(": ")
        fields.setdefault(key, value)
    return fields


def _message(*pairs: tuple[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode() + b"\r\n"


@dataclass
class Received:
    connection: int
    action: str
    action_id: str
    fields: dict[str, str]


@dataclass
class FakeAmi:
    """A loopback AMI server. ``on_originate`` decides what an Originate (or the ``target`` action) gets:

    ``"success"`` / ``"error"`` a response; ``"abort"`` RST without an answer; ``"close"`` FIN
    without an answer; ``"partial"`` half a response, then RST; ``"silence"`` nothing at all.
    ``silent = True`` makes the server stop answering anything while keeping sockets open.
    """

    on_originate: str = "success"
    target: str = "originate"
    silent: bool = False
    refuse: bool = False  # accept and drop at once (no banner): a flapping Asterisk
    contacts: list[str] = field(default_factory=list)  # AORs PJSIPShowContacts lists (none: Asterisk's Error)
    loading: int = 0  # the next N queue member actions are unknown commands: app_queue is still loading
    received: list[Received] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _connections: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()

    def kill_connections(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    def server(self, name: str = "fake") -> AmiServer:
        return AmiServer(name=name, host="127.0.0.1", port=self.port, username="sb", secret=SecretStr("pw"))

    def actions(self, name: str) -> list[Received]:
        return [r for r in self.received if r.action.lower() == name.lower()]

    async def push_event(self, *pairs: tuple[str, str]) -> None:
        for writer in self._writers:
            writer.write(_message(*pairs))
            await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted_at.append(time.monotonic())
        if self.refuse:
            writer.close()  # a clean FIN right after accept: it must not count as "served"
            return
        self._connections += 1
        number = self._connections
        self._writers.append(writer)
        writer.write(BANNER)
        buffer = b""
        try:
            while data := await reader.read(65536):
                buffer += data
                while b"\r\n\r\n" in buffer:
                    block, buffer = buffer.split(b"\r\n\r\n", 1)
                    fields = _parse(block)
                    item = Received(number, fields.get("Action", ""), fields.get("ActionID", ""), fields)
                    self.received.append(item)
                    if not self.silent and not await self._answer(writer, item):
                        return
        except (ConnectionError, OSError):
            return
        finally:
            with contextlib.suppress(ValueError):
                self._writers.remove(writer)
            writer.transport.abort()

    async def _answer(self, writer: asyncio.StreamWriter, item: Received) -> bool:
        """Answer one action; False when the connection was killed instead."""
        aid = ("ActionID", item.action_id)
        action = item.action.lower()
        if action == "login":
            writer.write(_message(("Response", "Success"), aid, ("Message", "Authentication accepted")))
        elif action == "ping":
            writer.write(_message(("Response", "Success"), aid, ("Ping", "Pong")))
        elif action in ("coreshowchannels", "queuestatus"):
            writer.write(_message(("Response", "Success"), aid, ("EventList", "start"), ("Message", "follows")))
            done = "CoreShowChannelsComplete" if action == "coreshowchannels" else "QueueStatusComplete"
            writer.write(_message(("Event", done), aid, ("EventList", "Complete"), ("ListItems", "0")))
        elif action == "pjsipshowcontacts":
            self._contacts(writer, aid)
        elif action.startswith("queue") and self.loading > 0:
            self.loading -= 1
            writer.write(_message(("Response", "Error"), aid, ("Message", f"Invalid/unknown command: {item.action}. "
                                                                          "Use Action: ListCommands to show available commands.")))
        elif action == self.target:
            mode = self.on_originate
            if mode == "success":
                writer.write(_message(("Response", "Success"), aid, ("Message", "Originate successfully queued")))
            elif mode == "error":
                writer.write(_message(("Response", "Error"), aid, ("Message", "Extension does not exist.")))
            elif mode == "partial":
                writer.write(b"Response: Succ")
                await writer.drain()
                writer.transport.abort()
                return False
            elif mode == "abort":
                writer.transport.abort()
                return False
            elif mode == "close":
                writer.close()
                return False
            # "silence": no answer, the link stays up
        else:
            writer.write(_message(("Response", "Success"), aid, ("Message", f"{item.action} done")))
        await writer.drain()
        return True

    def _contacts(self, writer: asyncio.StreamWriter, aid: tuple[str, str]) -> None:
        """As Asterisk 22 answers (tests/fixtures/ami/pbx-contacts-resync.ami), fields trimmed."""
        if not self.contacts:
            writer.write(b"Response: Error\r\nActionID: " + aid[1].encode() + b"\r\nMessage: No Contacts found\n\r\n\r\n")
            return
        writer.write(_message(("Response", "Success"), aid, ("EventList", "start"), ("Message", "follows")))
        for aor in self.contacts:
            writer.write(_message(("Event", "ContactList"), aid, ("ObjectType", "contact"),
                                  ("ObjectName", f"{aor};@0123abcd"), ("Endpoint", aor), ("Status", "NonQualified")))
        writer.write(_message(("Event", "ContactListComplete"), aid, ("EventList", "Complete"),
                              ("ListItems", str(len(self.contacts)))))


@pytest.fixture
async def fake_ami() -> AsyncIterator[FakeAmi]:
    fake = FakeAmi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def running(conn: AmiConnection) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(conn.run(), name=f"ami-{conn.label}")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], bool], within: float, what: str) -> float:
    """Seconds until ``check()`` held; fails after ``within`` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def _conn(fake: FakeAmi, *, events: bool = False, dead_after: float = 1.0,
          on_events: Callable[[list[AmiMessage]], Awaitable[None]] | None = None) -> AmiConnection:
    return AmiConnection(fake.server(), events=events, on_events=on_events, ping_interval=0.2,
                         dead_after=dead_after, max_backoff=0.05, min_backoff=0.005, connect_timeout=1.0)


async def test_logs_in_and_delivers_events(fake_ami: FakeAmi) -> None:
    seen: list[AmiMessage] = []

    async def collect(messages: list[AmiMessage]) -> None:
        seen.extend(messages)

    conn = _conn(fake_ami, events=True, on_events=collect)
    async with running(conn):
        assert await conn.wait_connected(5)
        [login] = fake_ami.actions("Login")
        assert (login.fields["Username"], login.fields["Secret"], login.fields["Events"]) == ("sb", "pw", "on")
        await fake_ami.push_event(("Event", "Newchannel"), ("Uniqueid", "1.1"), ("Linkedid", "1.1"))
        await eventually(lambda: bool(seen), 5, "the event delivered")
        assert seen[0].event == "Newchannel" and seen[0].get("Linkedid") == "1.1"


async def test_half_open_link_is_declared_dead_within_dead_after_and_reconnects(fake_ami: FakeAmi) -> None:
    dead_after = 1.0
    conn = _conn(fake_ami, dead_after=dead_after)
    async with running(conn):
        assert await conn.wait_connected(5)
        await asyncio.sleep(0.5)  # a few pings answered: the link is healthy
        assert conn.connected and len(fake_ami.actions("Ping")) >= 1
        fake_ami.silent = True  # the socket stays open, nothing comes back (half-open)
        silent_from = time.monotonic()
        await eventually(lambda: not conn.connected, dead_after + 3, "the dead link noticed")
        detected = time.monotonic() - silent_from
        assert dead_after * 0.5 <= detected <= dead_after + 2.0, detected
        fake_ami.silent = False
        await eventually(lambda: conn.connected, 5, "a reconnect")
        assert conn.connects == 2
        # every attempt logged in on a fresh connection (one made while still silent died too)
        logins = [r.connection for r in fake_ami.actions("Login")]
        assert logins == sorted(set(logins)) and logins[0] == 1 and len(logins) >= 2


async def test_refused_and_flapping_connections_back_off_and_a_login_resets_it(fake_ami: FakeAmi) -> None:
    fake_ami.refuse = True
    conn = AmiConnection(fake_ami.server(), events=False, ping_interval=5, dead_after=5,
                         min_backoff=0.1, max_backoff=0.8, connect_timeout=1.0)
    async with running(conn):
        await eventually(lambda: len(fake_ami.accepted_at) >= 6, 15, "six attempts")
        fake_ami.refuse = False
        assert await conn.wait_connected(5)
        attempts = fake_ami.accepted_at[:6]
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        # 0.1, 0.2, 0.4, 0.8, 0.8 (plus scheduling, up to 0.5 s on a loaded machine): growing, then
        # capped at max_backoff (uncapped, the last would be 1.6)
        assert gaps[0] < gaps[2] < gaps[3], gaps
        assert all(gap < 0.8 + 0.5 for gap in gaps), gaps
        # served: the next drop reconnects after the minimum backoff again
        fake_ami.kill_connections()
        dropped = time.monotonic()
        await eventually(lambda: conn.connects == 2, 5, "a prompt reconnect")
        assert time.monotonic() - dropped < 0.1 + 0.5  # the minimum again, not the 0.8 reached before


async def test_action_while_disconnected_is_not_sent(fake_ami: FakeAmi) -> None:
    conn = _conn(fake_ami)
    with pytest.raises(CarrierUnavailable):
        await conn.action("Originate", {"Channel": "PJSIP/1001"})
    assert fake_ami.received == []


@pytest.mark.parametrize("mode", ["abort", "close", "partial"])
async def test_a_plain_action_in_flight_fails_as_a_carrier_error(fake_ami: FakeAmi, mode: str) -> None:
    fake_ami.on_originate, fake_ami.target = mode, "queuepause"
    conn = _conn(fake_ami)
    async with running(conn):
        assert await conn.wait_connected(5)
        with pytest.raises(CarrierError) as raised:
            await conn.action("QueuePause", {"Interface": "PJSIP/1001"}, timeout=5)
        assert not isinstance(raised.value, DialOutcomeUnknown)
        fake_ami.on_originate = "success"
        assert await conn.wait_connected(5)
        assert (await conn.action("QueuePause", {"Interface": "PJSIP/1001"}, timeout=5)).success
    assert len(fake_ami.actions("QueuePause")) == 2


async def test_originate_killed_in_flight_100_times_is_unknown_and_never_resent(fake_ami: FakeAmi) -> None:
    modes = ("abort", "close", "partial")
    conn = _conn(fake_ami, dead_after=5)
    async with running(conn):
        for i in range(100):
            assert await conn.wait_connected(5), f"no reconnect before kill {i}"
            fake_ami.on_originate = modes[i % 3]
            with pytest.raises(DialOutcomeUnknown):
                await conn.action("Originate", {"Channel": "PJSIP/1001", "Application": "Dial"},
                                  action_id=f"orig-{i}", timeout=5)
        # after the last reconnect, a healthy Originate still goes out once and succeeds
        assert await conn.wait_connected(5)
        fake_ami.on_originate = "success"
        assert (await conn.action("Originate", {"Channel": "PJSIP/1001"}, action_id="orig-final")).success
        await asyncio.sleep(0.5)  # pings flow; nothing is replayed
    counts = Counter(r.action_id for r in fake_ami.actions("Originate"))
    assert counts == Counter({**{f"orig-{i}": 1 for i in range(100)}, "orig-final": 1})
    assert conn.connects == 101
    # each Originate went out on its own connection: none was carried over a reconnect
    by_connection = Counter(r.connection for r in fake_ami.actions("Originate"))
    assert set(by_connection.values()) == {1}


async def test_originate_unanswered_on_a_live_link_times_out_as_unknown(fake_ami: FakeAmi) -> None:
    fake_ami.on_originate = "silence"
    conn = _conn(fake_ami, dead_after=5)
    async with running(conn):
        assert await conn.wait_connected(5)
        with pytest.raises(DialOutcomeUnknown):
            await conn.action("Originate", {"Channel": "PJSIP/1001"}, action_id="orig-x", timeout=0.3)
        await asyncio.sleep(0.3)
    assert [r.action_id for r in fake_ami.actions("Originate")] == ["orig-x"]
