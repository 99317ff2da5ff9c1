"""Sessions end (issue 13, item 2): sign-out, a password change, deactivation and demotion end the
user's tokens on REST and on the WebSocket, and close the sockets already open within 5 s.

Real servers (uvicorn) on both databases and both bus backends: with Redis there are two workers
sharing the database and the bus, and the change is made on one while the socket is open on the
other, so only the bus can tell it (the guard's own re-check runs every 30 s, far beyond the 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed

from config.settings import Settings
from store.db import Database
from store.models import Role
from store.repositories.users import UserRepository
from tests.support.server import RunningApp, running_app

REDIS_URL = "redis://127.0.0.1:6379/13"  # issue 13's own Redis database, keys under a per-test prefix
PASSWORDS = {"admin": "admin-pass-1", "sup": "super-pass-1", "amina": "amina-pass-1"}


@dataclass
class Cluster:
    edit: RunningApp  # where the admin makes changes
    sockets: RunningApp  # where the sockets are open (another worker with Redis)

    async def login(self, username: str, password: str | None = None) -> str:
        async with httpx.AsyncClient(base_url=self.edit.base_url) as client:
            r = await client.post("/api/auth/login",
                                  json={"username": username, "password": password or PASSWORDS[username]})
            assert r.status_code == 200, r.text
            token: str = r.json()["token"]
            return token

    async def call(self, method: str, path: str, token: str, app: RunningApp | None = None,
                   **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=(app or self.edit).base_url) as client:
            return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


async def _drop_keys(prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cluster(request: pytest.FixtureRequest, database: Database, database_url: str,
                  tmp_path: Path) -> AsyncIterator[Cluster]:
    async with database.session() as s:
        repo = UserRepository(s)
        await repo.create("admin", PASSWORDS["admin"], role=Role.ADMIN)
        await repo.create("sup", PASSWORDS["sup"], role=Role.SUPERVISOR)
        await repo.create("amina", PASSWORDS["amina"], role=Role.AGENT, extension="PJSIP/1001")
    prefix = f"sbi13:{secrets.token_hex(4)}:"
    redis = {"redis_url": REDIS_URL, "redis_prefix": prefix} if request.param == "redis" else {}

    def settings(worker: str) -> Settings:
        return Settings(database_url=database_url, attachments_dir=tmp_path / "att", secret_key="k" * 40,
                        worker_id=worker, **redis)

    try:
        async with contextlib.AsyncExitStack() as stack:
            first = await stack.enter_async_context(running_app(settings("w-edit")))
            second = first if not redis else await stack.enter_async_context(running_app(settings("w-socks")))
            yield Cluster(first, second)
    finally:
        if redis:
            await _drop_keys(prefix)


async def _open(app: RunningApp, token: str, stream: str = "agent") -> Any:
    ws = await websockets.connect(f"{app.ws_url}/ws?token={token}&stream={stream}")
    async with asyncio.timeout(5):
        hello = json.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws


async def _closed_within(ws: Any, seconds: float) -> tuple[int, float]:
    """The close code the server sent, and how long it took to come."""
    start = time.monotonic()

    async def drain() -> None:
        async with asyncio.timeout(seconds):
            while True:
                await ws.recv()

    with pytest.raises(ConnectionClosed) as closed:
        await drain()
    assert closed.value.rcvd is not None, "the server did not close the socket"
    return closed.value.rcvd.code, time.monotonic() - start


async def _refused(app: RunningApp, token: str, stream: str) -> int:
    async with websockets.connect(f"{app.ws_url}/ws?token={token}&stream={stream}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_sign_out_ends_the_token_and_closes_its_sockets(cluster: Cluster) -> None:
    token = await cluster.login("amina")
    other_device = await cluster.login("amina")
    ws = await _open(cluster.sockets, token)
    assert (await cluster.call("GET", "/api/auth/me", token)).status_code == 200
    out = await cluster.call("POST", "/api/auth/logout", token)
    assert out.status_code == 200
    for app in {id(cluster.edit): cluster.edit, id(cluster.sockets): cluster.sockets}.values():
        for used in (token, other_device):
            me = await cluster.call("GET", "/api/auth/me", used, app)
            assert me.status_code == 401 and me.json()["error_id"] == "authentication-required"
    code, took = await _closed_within(ws, 5)
    assert code == 4401 and took < 5
    assert await _refused(cluster.sockets, token, "agent") == 4401
    fresh = await cluster.login("amina")  # signing in again works
    assert (await cluster.call("GET", "/api/auth/me", fresh)).status_code == 200


async def test_a_password_change_by_an_admin_ends_the_old_tokens(cluster: Cluster) -> None:
    admin = await cluster.login("admin")
    token = await cluster.login("amina")
    ws = await _open(cluster.sockets, token)
    changed = await cluster.call("PATCH", "/api/users/amina", admin, json={"password": "a-new-password-2"})
    assert changed.status_code == 200, changed.text
    assert (await cluster.call("GET", "/api/auth/me", token)).status_code == 401
    code, took = await _closed_within(ws, 5)
    assert code == 4401 and took < 5
    # an edit that is not about access (display name) leaves the sessions alone
    token2 = await cluster.login("amina", "a-new-password-2")
    renamed = await cluster.call("PATCH", "/api/users/amina", admin, json={"display_name": "Amina W."})
    assert renamed.status_code == 200
    assert (await cluster.call("GET", "/api/auth/me", token2)).status_code == 200


async def test_a_deactivated_supervisor_loses_rest_and_the_wallboard_socket(cluster: Cluster) -> None:
    admin = await cluster.login("admin")
    token = await cluster.login("sup")
    board = await _open(cluster.sockets, token, "wallboard")
    off = await cluster.call("PATCH", "/api/users/sup", admin, json={"active": False})
    assert off.status_code == 200, off.text
    code, took = await _closed_within(board, 5)
    assert code == 4401 and took < 5
    assert (await cluster.call("GET", "/api/wallboard", token)).status_code == 401
    assert await _refused(cluster.sockets, token, "wallboard") == 4401
    # switching the account on again does not bring the old token back
    assert (await cluster.call("PATCH", "/api/users/sup", admin, json={"active": True})).status_code == 200
    assert await _refused(cluster.sockets, token, "wallboard") == 4401


async def test_a_supervisor_demoted_to_agent_loses_the_wallboard(cluster: Cluster) -> None:
    admin = await cluster.login("admin")
    token = await cluster.login("sup")
    board = await _open(cluster.sockets, token, "wallboard")
    demoted = await cluster.call("PATCH", "/api/users/sup", admin, json={"role": "agent"})
    assert demoted.status_code == 200 and demoted.json()["role"] == "agent"
    code, took = await _closed_within(board, 5)
    assert code == 4401 and took < 5
    assert await _refused(cluster.sockets, token, "wallboard") == 4401
    # signed in again as the agent they now are: the wallboard is refused, the agent stream opens
    again = await cluster.login("sup")
    assert await _refused(cluster.sockets, again, "wallboard") == 4403
    ws = await _open(cluster.sockets, again, "agent")
    await ws.close()
