"""The FastAGI server and the IVR handler over a real socket, against a scripted Asterisk (no PBX):
a whole call on the store (SQLite and PostgreSQL), a hang-up mid-menu, and connections that
misbehave (closed during the environment, never finished, a script we do not serve)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from config.compliance_loader import load_pack
from config.lists import Lists, load_lists
from config.settings import CONFIG_DIR, Settings
from domain.events import Event
from ivr.agi.handler import IvrAgiHandler
from ivr.agi.server import FastAgiServer
from ivr.data import StoreIvrData
from ivr.recorder import IvrRecorder
from ivr.unit import Units
from store.db import Database
from store.models import Customer, Interaction, IvrSession
from store.seed.demo import load_demo

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
KEYS = "0123456789*#"


@dataclass
class FakeAsterisk:
    """Speaks FastAGI as Asterisk does: the environment, then one reply per command. ``keys`` are
    pressed in order: during a prompt that any key interrupts, or at WAIT FOR DIGIT (None: that
    wait times out); ``">name"`` presses nothing until a command that names ``name`` (a prompt
    heard to that point); ``"!"`` hangs up there (HANGUP, then 511 to every command)."""

    port: int
    keys: list[str | None]
    caller: str = "0712345678"
    script: str = "ivr"
    commands: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    gone: bool = False

    def _reply(self, command: str) -> str:
        if self.gone:
            return "511 Command Not Permitted on a dead channel or intercept routine"
        name = " ".join(command.split()[:2])
        takes_keys = name == "WAIT FOR" or (name == "STREAM FILE" and not command.endswith('""'))
        if self.keys and isinstance(self.keys[0], str) and self.keys[0].startswith(">"):
            if self.keys[0][1:] not in command:
                return "200 result=0 endpos=16000" if name == "STREAM FILE" else "200 result=0"
            self.keys.pop(0)
        if takes_keys and self.keys and self.keys[0] == "!":
            self.gone = True
            return "HANGUP\n200 result=-1"
        if name == "GET VARIABLE":
            return "200 result=1 (1796569118.7)"
        if name == "SET VARIABLE":
            _, _, variable, value = command.split(" ", 3)
            self.variables[variable] = value
            return "200 result=1"
        if name == "STREAM FILE":
            escape = command.split()[3] if len(command.split()) > 3 else '""'
            if escape != '""' and self.keys and self.keys[0] is not None:
                return f"200 result={ord(self.keys.pop(0) or ' ')} endpos=2400"
            return "200 result=0 endpos=16000"
        if name == "WAIT FOR":
            key = self.keys.pop(0) if self.keys else None
            return f"200 result={ord(key)}" if key else "200 result=0"
        return "200 result=0"

    async def call(self, *, within: float = 20) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        env = (f"agi_network: yes\nagi_network_script: {self.script}\nagi_request: agi://127.0.0.1/{self.script}\n"
               f"agi_channel: PJSIP/trunk-00000007\nagi_language: en\nagi_uniqueid: 1796569118.7\n"
               f"agi_callerid: {self.caller}\nagi_arg_1: main\n\n")
        writer.write(env.encode())
        await writer.drain()
        try:
            async with asyncio.timeout(within):
                while line := await reader.readline():
                    command = line.decode().strip()
                    self.commands.append(command)
                    writer.write((self._reply(command) + "\n").encode())
                    await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class AgiWorld:
    server: FastAgiServer
    database: Database
    id_last4: str
    events: list[Event]

    async def sessions(self) -> list[IvrSession]:
        async with self.database.session() as session:
            return list((await session.scalars(select(IvrSession).order_by(IvrSession.id))).all())


@pytest.fixture
async def agi(database: Database) -> AsyncIterator[AgiWorld]:
    await load_demo(database, 2)
    async with database.session() as session:
        gov = await session.scalar(select(Customer.government_id).where(Customer.name == "Amina Wanjiru"))
    assert gov is not None
    lists: Lists = load_lists(CONFIG_DIR / "defaults")
    events: list[Event] = []

    async def publish(event: Event) -> None:
        events.append(event)

    handler = IvrAgiHandler(menu=lambda: lists.ivr, units=Units(database, publish), recorder=IvrRecorder(),
                            data=StoreIvrData(Settings(redis_url=None), lambda: lists, load_pack("kenya"),
                                              clock=lambda: NOW),
                            sounds="switchboard", server_name="default")
    server = FastAgiServer(handler, port=0, header_timeout=1.0, command_timeout=5.0)
    await server.start()
    try:
        yield AgiWorld(server, database, "".join(c for c in gov if c.isdigit())[-4:], events)
    finally:
        await server.stop()


async def test_a_whole_call_ends_with_the_queue_set_for_the_dialplan(agi: AgiWorld) -> None:
    asterisk = FakeAsterisk(agi.server.port, ["1", *agi.id_last4, "1", ">main_menu", "0"])
    await asterisk.call()
    assert asterisk.variables == {"SWITCHBOARD_QUEUE": "collections"}
    assert asterisk.commands[0] == "GET VARIABLE CHANNEL(linkedid)"
    assert asterisk.commands[1] == f"STREAM FILE switchboard/en/greeting {KEYS}"
    assert "SAY NUMBER" in " ".join(asterisk.commands)  # the balance, with Asterisk's reader
    [row] = await agi.sessions()
    assert (row.call_id, row.outcome, row.verified, row.queue) == ("default/1796569118.7", "agent", True,
                                                                   "collections")
    assert row.pop is not None and row.pop["path"] == ["language:1", "verify:****", "main:1", "main:0", "agent"]
    assert agi.server.stats.files_played > 0 and agi.server.stats.connections == 1
    async with agi.database.session() as session:
        assert (await session.scalars(select(Interaction.subject).where(Interaction.channel == "ivr"))).all() == [
            "Balance enquiry (IVR)"]
    assert [e.type_name for e in agi.events] == ["ivr.session_started", "ivr.session_ended"]


async def test_a_caller_who_hangs_up_leaves_an_abandoned_session(agi: AgiWorld) -> None:
    asterisk = FakeAsterisk(agi.server.port, ["1", *agi.id_last4, "2", "1", "5", "!"])
    await asterisk.call()
    [row] = await agi.sessions()
    assert row.outcome == "hung_up" and row.abandoned and row.end_node == "promise_amount"
    assert "SWITCHBOARD_QUEUE" not in asterisk.variables


async def test_connections_that_misbehave_are_closed_and_the_server_goes_on(agi: AgiWorld) -> None:
    # closed in the middle of the environment: no session, no spin
    _reader, writer = await asyncio.open_connection("127.0.0.1", agi.server.port)
    writer.write(b"agi_network: yes\nagi_network_script: iv")
    await writer.drain()
    writer.close()
    # never finishes its environment: closed after the header timeout
    reader, writer = await asyncio.open_connection("127.0.0.1", agi.server.port)
    writer.write(b"agi_network: yes\n")
    await writer.drain()
    async with asyncio.timeout(5):
        assert await reader.read() == b""
    writer.close()
    # a script we do not serve: told so, then closed
    other = FakeAsterisk(agi.server.port, [], script="billing")
    await other.call()
    assert other.commands == ["VERBOSE \"switchboard: no AGI script 'billing'\" 1"]
    assert await agi.sessions() == []
    # and a real call still works
    asterisk = FakeAsterisk(agi.server.port, ["1", *agi.id_last4, "0"])
    await asterisk.call()
    assert asterisk.variables == {"SWITCHBOARD_QUEUE": "collections"}
    assert agi.server.active == 0
