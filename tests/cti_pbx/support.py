"""Helpers for the CTI tests on the real test PBX: agents over HTTP + WebSocket, raw AMI checks.

Agents sign in over HTTP, keep a WebSocket open (every frame collected in order) and change state
with ``PUT /api/agents/me/state``. Asterisk's own view of the queue is read over a separate raw AMI
socket (tests/pbx/record_ami.AmiConn), never through the code under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from sqlalchemy import select

from store.db import Database
from store.models import CallRecord, Customer, User
from store.seed.demo import load_demo
from tests.pbx.record_ami import AmiConn

AMINA_PHONE = "0712345678"
AMINA_E164 = "+254712345678"
GUARANTOR_PHONE = "0722000111"
EXTENSIONS = {"agent1": 1001, "agent2": 1002}
Frame = dict[str, Any]


def ami_env(dead_after: float = 4.0) -> dict[str, str]:
    """The environment that points a server at the test PBX (fast dead-link detection)."""
    return {
        "SWITCHBOARD_AMI__HOST": "127.0.0.1",
        "SWITCHBOARD_AMI__PORT": "5038",
        "SWITCHBOARD_AMI__USERNAME": "switchboard",
        "SWITCHBOARD_AMI__SECRET": "switchboard-test",
        "SWITCHBOARD_AMI__DEAD_AFTER": str(dead_after),
        "SWITCHBOARD_AMI__PING_INTERVAL": "1",
        "SWITCHBOARD_AMI__RECONNECT_MAX_BACKOFF": "1",
        "SWITCHBOARD_AMI__LEASE_SECONDS": "3",
        "SWITCHBOARD_WRAPUP_SECONDS": "1",
        "SWITCHBOARD_SECRET_KEY": "pbx-test-key-" + "k" * 32,
    }


async def seed(database: Database) -> int:
    """The demo users (agent1..3 on PJSIP/1001..1003) and one demo customer: Amina Wanjiru."""
    await load_demo(database, 1)
    async with database.session() as session:
        amina = await session.scalar(select(Customer.id).where(Customer.name == "Amina Wanjiru"))
    assert amina is not None
    return int(amina)


async def until(check: Callable[[], Awaitable[Any]], within: float, what: str, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``within``."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(every)


@dataclass
class AgentClient:
    """One agent desktop: a token, a socket whose frames are all kept, and state requests."""

    username: str
    base_url: str
    ws_url: str
    token: str = ""
    frames: list[Frame] = field(default_factory=list)
    _ws: Any = None
    _reader: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def extension(self) -> int:
        return EXTENSIONS[self.username]

    async def login(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            r = await client.post("/api/auth/login",
                                  json={"username": self.username, "password": f"{self.username}-pass"})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]

    async def connect(self) -> None:
        self._ws = await websockets.connect(f"{self.ws_url}/ws?token={self.token}")
        self._reader = asyncio.create_task(self._read(), name=f"ws-{self.username}")
        await self.wait("hello", within=5)

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in self._ws:
                self.frames.append(json.loads(text))
                self._arrived.set()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def set_state(self, state: str, reason: str | None = None) -> Frame:
        body: dict[str, Any] = {"state": state}
        if reason is not None:
            body["reason"] = reason
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            r = await client.put("/api/agents/me/state", json=body,
                                 headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == 200, r.text
        view: Frame = r.json()
        return view

    def of(self, kind: str, call_id: str | None = None) -> list[Frame]:
        return [f for f in self.frames
                if f["type"] == kind and (call_id is None or f["data"].get("call_id") == call_id)]

    async def wait(self, kind: str, call_id: str | None = None, within: float = 15) -> Frame:
        """The first frame of ``kind`` (for ``call_id``), waiting up to ``within`` seconds."""
        return await self.wait_for(lambda f: f["type"] == kind and (
            call_id is None or f["data"].get("call_id") == call_id), within, f"{kind} (call {call_id})")

    async def wait_for(self, pred: Callable[[Frame], bool], within: float, what: str) -> Frame:
        deadline = time.monotonic() + within
        while True:
            found = [f for f in self.frames if pred(f)]
            if found:
                return found[0]
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(f["type"], f["data"].get("call_id") or f["data"].get("state")) for f in self.frames]
                raise AssertionError(f"{self.username}: no {what} in {within}s; got {seen}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 0.5)):
                    await self._arrived.wait()


async def call_record(database: Database, call_id: str, done: Callable[[CallRecord], bool],
                      within: float = 10) -> CallRecord:
    """The call's record once ``done(record)`` holds (events land asynchronously)."""
    async def fetch() -> CallRecord | None:
        async with database.session() as session:
            row = await session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
        return row if row is not None and done(row) else None

    row: CallRecord = await until(fetch, within, f"the call record of {call_id}")
    return row


async def user_id(database: Database, username: str) -> int:
    async with database.session() as session:
        found = await session.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return int(found)


async def queue_members(queue: str = "collections") -> dict[str, dict[str, str]]:
    """Asterisk's own view of a queue (QueueStatus over a raw AMI socket): interface -> QueueMember."""
    ami = AmiConn()
    await ami.connect()
    await ami.login()
    try:
        action_id = await ami.send("QueueStatus", Queue=queue)
        members: dict[str, dict[str, str]] = {}
        while True:
            msg = await ami.wait_for(lambda m: m.get("ActionID") == action_id, within=10)
            if msg.get("Event") == "QueueMember":
                members[msg.get("StateInterface") or msg.get("Location", "")] = msg
            elif msg.get("Event") == "QueueStatusComplete" or msg.get("Response") == "Error":
                return members
    finally:
        await ami.close()


async def member_paused(interface: str, paused: bool | None, queue: str = "collections",
                        within: float = 10) -> dict[str, str]:
    """Wait until Asterisk has ``interface`` in ``queue`` with Paused 1/0 (None: just present)."""
    async def check() -> dict[str, str] | None:
        member = (await queue_members(queue)).get(interface)
        if member is None or (paused is not None and member.get("Paused") != ("1" if paused else "0")):
            return None
        return member

    found: dict[str, str] = await until(check, within, f"{interface} in {queue} paused={paused}", every=0.2)
    return found


def rang(phone_messages: str, extension: int) -> bool:
    """True if the sipp agent phone's message log shows an INVITE for its extension."""
    return f"INVITE sip:{extension}@" in phone_messages
