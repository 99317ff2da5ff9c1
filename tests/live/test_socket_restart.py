"""A socket can never freeze the server (issue 13, item 1), on both bus backends and both databases.

Each test runs ``switchboard serve`` as a real process (so a frozen event loop cannot freeze the
test) and checks, while a socket resumes past the stream's end, at 0, or far behind a trimmed
stream, that ``/api/health`` keeps answering within 100 ms, that the client gets a ``reset`` frame
and the new stream from its start, and that SIGTERM ends the process within 5 s with the sockets
closed as 1001 (going away).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.cti_pbx.workers import REPO, ServerProcess
from tests.support.databases import PG_ADMIN_URL

REDIS_URL = "redis://127.0.0.1:6379/11"  # this module's own Redis database


async def _fresh_pg() -> str:
    name = f"sb_sock_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"


async def _drop_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _cli(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "agent_ui.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(params=[
    pytest.param(("sqlite", "memory"), id="sqlite-memory"),
    pytest.param(("sqlite", "redis"), id="sqlite-redis", marks=pytest.mark.redis),
    pytest.param(("postgres", "redis"), id="postgres-redis", marks=[pytest.mark.redis, pytest.mark.postgres]),
    pytest.param(("postgres", "memory"), id="postgres-memory", marks=pytest.mark.postgres),
])
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    database, bus = request.param
    url = f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}" if database == "sqlite" else await _fresh_pg()
    prefix = f"sbt{secrets.token_hex(3)}:"
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_SECRET_KEY": "s" * 40,
           "SWITCHBOARD_ATTACHMENTS_DIR": str(tmp_path / "att")}
    env.pop("SWITCHBOARD_REDIS_URL", None)
    if bus == "redis":
        env |= {"SWITCHBOARD_REDIS_URL": REDIS_URL, "SWITCHBOARD_REDIS_PREFIX": prefix}
    _cli(env, "db", "upgrade")
    _cli(env, "user", "create", "agent2", "--role", "agent", "--password", "agent2-pass",
         "--extension", "PJSIP/1002", "--queues", "collections")
    proc = ServerProcess(f"sock-{database}-{bus}", {k: v for k, v in env.items() if k.startswith("SWITCHBOARD_")},
                         tmp_path, cli=True).start()
    try:
        await proc.wait_up()
        yield proc
    finally:
        proc.kill()
        if database == "postgres":
            await _drop_pg(url)
        if bus == "redis":
            from redis.asyncio import Redis

            redis = Redis.from_url(REDIS_URL)
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


async def _login(client: httpx.AsyncClient) -> str:
    r = await client.post("/api/auth/login", json={"username": "agent2", "password": "agent2-pass"})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


async def _health_ms(client: httpx.AsyncClient) -> float:
    """The median of five health checks, in ms (a frozen server times out: 2 s)."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        try:
            r = await client.get("/api/health", timeout=2.0)
            assert r.status_code == 200
            times.append((time.perf_counter() - start) * 1000)
        except httpx.TimeoutException:
            times.append(2000.0)
    return statistics.median(times)


async def _frames(ws: Any, until: str, within: float = 5) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while not seen or seen[-1]["type"] != until:
            seen.append(json.loads(await ws.recv()))
    return seen


async def _state_messages(client: httpx.AsyncClient, token: str, count: int) -> None:
    """``count`` messages on agent2's stream (each state change appends one agent.state)."""
    for n in range(count):
        state = {"state": "ready"} if n % 2 == 0 else {"state": "paused", "reason": "break"}
        r = await client.put("/api/agents/me/state", json=state, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text


async def test_resumes_past_the_end_at_zero_and_far_behind_keep_the_server_answering(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        token = await _login(client)
        await _state_messages(client, token, 1)  # the reproduction: one message on the stream
        url = f"{server.ws_url}/ws?token={token}"

        # 1. after_seq past the stream's end (a desktop that outlived a server restart)
        async with websockets.connect(f"{url}&after_seq=50") as ws:
            frames = await _frames(ws, "agent.state")
            assert [f["type"] for f in frames] == ["hello", "reset", "agent.state"]
            assert frames[1]["seq"] == 0 and frames[1]["data"]["last_seq"] >= 1
            assert frames[2]["seq"] == 1
            assert await _health_ms(client) < 100, server.log()
            # the same socket resumes past the end again, then gets new messages in order
            await ws.send(json.dumps({"type": "resume", "after_seq": 10_000}))
            again = await _frames(ws, "agent.state")
            assert [f["type"] for f in again] == ["reset", "agent.state"] and again[1]["seq"] == 1
            await _state_messages(client, token, 1)
            assert (await _frames(ws, "agent.state"))[-1]["seq"] == 2
            assert await _health_ms(client) < 100, server.log()

        # 2. resume at 0: everything retained, once
        async with websockets.connect(f"{url}&after_seq=0") as ws:
            frames = await _frames(ws, "agent.state")
            frames += await _frames(ws, "agent.state")
            assert [f["seq"] for f in frames if f["type"] == "agent.state"] == [1, 2]
            assert await _health_ms(client) < 100, server.log()

        # 3. far behind a trimmed stream: many messages, the server keeps serving while they go out
        await _state_messages(client, token, 60)
        async with websockets.connect(f"{url}&after_seq=0") as ws:
            got = [f for f in await _frames(ws, "hello") if f["type"] == "hello"]
            seqs: list[int] = []
            async with asyncio.timeout(10):
                while len(seqs) < 62:
                    seqs.append(json.loads(await ws.recv())["seq"])
            assert got and seqs == list(range(1, 63))
            assert await _health_ms(client) < 100, server.log()


async def _drain(ws: Any) -> None:
    """Read until the server closes the socket (5 s at most)."""
    async with asyncio.timeout(5):
        while True:
            await ws.recv()


async def test_sigterm_closes_sockets_with_1001_and_ends_within_5_s(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        token = await _login(client)
        await _state_messages(client, token, 1)
    sockets = [await websockets.connect(f"{server.ws_url}/ws?token={token}&after_seq={after}")
               for after in (0, 50, 1)]
    for ws in sockets:
        await _frames(ws, "hello")
    start = time.monotonic()
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    codes = []
    for ws in sockets:
        with pytest.raises(ConnectionClosed) as closed:
            await _drain(ws)
        assert closed.value.rcvd is not None
        codes.append(closed.value.rcvd.code)
    await asyncio.to_thread(server.proc.wait, 5)
    assert time.monotonic() - start < 5, server.log()
    assert codes == [1001, 1001, 1001]
