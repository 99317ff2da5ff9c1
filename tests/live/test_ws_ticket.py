"""The socket's URL never carries the sign-in token (issue 15, item 15), on both buses and databases.

The page asks ``POST /api/ws-ticket`` for a single-use ticket and opens ``/ws?ticket=...``. A ticket opens
one socket, once; it is no Bearer token; sign-out voids it; and the server's log (a real ``switchboard
serve`` process, access log on) never shows the token or a ticket.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.cti_pbx.workers import ServerProcess
from tests.live.test_socket_restart import _login, server  # noqa: F401  (the served process, 4 combos)


async def _closed_code(url: str) -> int | None:
    async with websockets.connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:  # a refused socket is closed before any frame
            await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def test_a_ticket_opens_one_socket_once_and_never_reaches_the_log(server: ServerProcess) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        assert (await client.post("/api/ws-ticket")).status_code == 401
        token = await _login(client)
        auth = {"Authorization": f"Bearer {token}"}
        answer = await client.post("/api/ws-ticket", headers=auth)
        assert answer.status_code == 200, answer.text
        ticket = answer.json()["ticket"]
        assert answer.json()["expires_in"] == 30 and ticket != token

        async with websockets.connect(f"{server.ws_url}/ws?ticket={ticket}") as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert hello["type"] == "hello" and hello["data"]["username"] == "agent2"
        assert await _closed_code(f"{server.ws_url}/ws?ticket={ticket}") == 4401  # used once already
        assert await _closed_code(f"{server.ws_url}/ws?ticket={ticket[:-4]}AAAA") == 4401  # forged

        as_bearer = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {ticket}"})
        assert as_bearer.status_code == 401  # a ticket is not a sign-in token

        unused = (await client.post("/api/ws-ticket", headers=auth)).json()["ticket"]
        assert (await client.post("/api/auth/logout", headers=auth)).status_code == 200
        assert await _closed_code(f"{server.ws_url}/ws?ticket={unused}") == 4401  # sign-out voids it

    server.stop()
    log = server.log_path.read_text()
    assert "/ws?" in log or "WebSocket" in log, log[-2000:]  # the socket lines are there...
    for secret in (token, ticket, unused):  # ...but not what opened them
        assert secret not in log and secret[-20:] not in log
