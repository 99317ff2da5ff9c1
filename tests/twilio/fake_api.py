"""A local stand-in for Twilio's REST API (Calls), on 127.0.0.1 with an ephemeral port.

It records every request (method, path, form pairs, basic-auth user), answers like Twilio (a JSON
call resource with ``sid`` and ``status``) and can be told to answer the next requests with 429,
500 or a delay (to provoke a client timeout).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    form: list[tuple[str, str]]
    user: str | None

    def value(self, key: str) -> str | None:
        return next((v for k, v in self.form if k == key), None)

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.form if k == key]


@dataclass
class Scripted:
    status: int
    delay: float = 0.0


@dataclass
class FakeTwilioApi:
    requests: list[Recorded] = field(default_factory=list)
    script: deque[Scripted] = field(default_factory=deque)
    gone: set[str] = field(default_factory=set)  # call sids answered 404 on update
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def answer_next(self, status: int, times: int = 1, delay: float = 0.0) -> None:
        self.script.extend(Scripted(status, delay) for _ in range(times))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls.json", self._create)
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls/{sid}.json", self._update)

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> Recorded:
        form = await request.post() if request.method == "POST" else request.query
        auth = request.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        rec = Recorded(request.method, request.path, [(k, str(v)) for k, v in form.items()], user)
        self.requests.append(rec)
        return rec

    async def _scripted(self) -> web.Response | None:
        if not self.script:
            return None
        step = self.script.popleft()
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status < 300:
            return None
        body = {"code": 20429 if step.status == 429 else 20500, "message": f"scripted {step.status}",
                "more_info": "", "status": step.status}
        return web.json_response(body, status=step.status)

    def _call(self, sid: str, account: str, status: str, rec: Recorded) -> dict[str, object]:
        return {"sid": sid, "account_sid": account, "status": status, "to": rec.value("To"),
                "from": rec.value("From"), "direction": "outbound-api", "uri": f"/Calls/{sid}.json"}

    async def _create(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        sid = f"CA{next(self._sids):032x}"
        return web.json_response(self._call(sid, request.match_info["account"], "queued", rec), status=201)

    async def _update(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        sid = request.match_info["sid"]
        if sid in self.gone:
            body = {"code": 20404, "message": "not found", "status": 404}
            return web.Response(text=json.dumps(body), status=404, content_type="application/json")
        return web.json_response(self._call(sid, request.match_info["account"], "in-progress", rec))
