"""The agent WebSocket over a real server: auth, the pop, resume after a drop, bad client messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from config.settings import Settings
from domain.events import AgentConnected, AgentRinging, CallEnded, Direction, EndCause
from store.db import Database
from store.models import Role
from store.repositories.users import UserRepository
from tests.support.server import RunningApp, running_app


@pytest.fixture
async def app(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[RunningApp]:
    settings = Settings(database_url=database_url, attachments_dir=tmp_path / "att", secret_key="k" * 40)
    async with database.session() as s:
        repo = UserRepository(s)
        await repo.create("agent1", password="agent1-pass", role=Role.AGENT, extension="PJSIP/1001",
                          queues=["collections"])
    async with running_app(settings) as running:
        yield running


async def _token(app: RunningApp) -> str:
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        r = await client.post("/api/auth/login", json={"username": "agent1", "password": "agent1-pass"})
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token


async def _recv(ws: Any, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg


def _ringing() -> AgentRinging:
    return AgentRinging(call_id="ast/77", device="PJSIP/1001", member_name="agent1", queue="collections",
                        caller_number="0799000000", dialed_number="0800123457", direction=Direction.INBOUND)


async def test_socket_refuses_a_missing_or_forged_token(app: RunningApp) -> None:
    for query in ("", "?token=forged.token.value"):
        async with websockets.connect(f"{app.ws_url}/ws{query}") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_pop_arrives_and_a_reconnect_resumes_what_was_missed(app: RunningApp) -> None:
    token = await _token(app)
    bus = app.services.bus
    assert bus is not None
    async with websockets.connect(f"{app.ws_url}/ws?token={token}") as ws:
        hello = await _recv(ws, "hello")
        await bus.publish(_ringing())
        ringing = await _recv(ws, "call.ringing")
        assert ringing["seq"] > hello["seq"]
        assert ringing["data"]["call_id"] == "ast/77"
        assert ringing["data"]["matches"] == []
        last = ringing["seq"]
    # while disconnected: the call is answered and ends
    await bus.publish(AgentConnected(call_id="ast/77", device="PJSIP/1001", queue="collections",
                                     hold_seconds=1, ring_seconds=1))
    await asyncio.sleep(0.2)
    await bus.publish(CallEnded(call_id="ast/77", cause=EndCause.NORMAL, cause_code=16, talk_seconds=5))
    await asyncio.sleep(0.3)
    async with websockets.connect(f"{app.ws_url}/ws?token={token}") as ws:
        await _recv(ws, "hello")
        await ws.send(json.dumps({"type": "resume", "after_seq": last}))
        seen = []
        async with asyncio.timeout(5):
            while "call.ended" not in seen:
                msg = json.loads(await ws.recv())
                assert msg["seq"] > last
                last = msg["seq"]
                seen.append(msg["type"])
        assert seen.index("call.answered") < seen.index("call.ended")


async def test_malformed_client_messages_get_an_error_and_the_socket_stays(app: RunningApp) -> None:
    token = await _token(app)
    async with websockets.connect(f"{app.ws_url}/ws?token={token}") as ws:
        await _recv(ws, "hello")
        for bad in ("not json", "[1,2]", json.dumps({"type": "resume", "after_seq": "x"}),
                    json.dumps({"type": "launch"}), "x" * 10_000):
            await ws.send(bad)
            error = await _recv(ws, "error")
            assert error["data"]["error_id"] == "protocol-violation"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await _recv(ws, "pong"))["type"] == "pong"


async def test_resumes_while_waiting_re_read_from_the_asked_seq_every_time(app: RunningApp) -> None:
    token = await _token(app)
    bus = app.services.bus
    assert bus is not None
    async with websockets.connect(f"{app.ws_url}/ws?token={token}") as ws:
        await _recv(ws, "hello")
        await bus.publish(_ringing())
        first = (await _recv(ws, "call.ringing"))["seq"]
        for _ in range(20):  # each interrupts the read in flight; the socket must keep serving
            await ws.send(json.dumps({"type": "resume", "after_seq": first - 1}))
            async with asyncio.timeout(5):  # frames of the last round may still be on their way
                while (again := json.loads(await ws.recv()))["seq"] != first:
                    assert again["seq"] > first
            assert again["type"] == "call.ringing"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
        await bus.publish(AgentConnected(call_id="ast/77", device="PJSIP/1001", queue="collections",
                                         hold_seconds=1, ring_seconds=1))
        assert (await _recv(ws, "call.answered"))["seq"] > first
