"""A fake Africa's Talking or Infobip SMS API (Starlette, served by uvicorn on 127.0.0.1).

Africa's Talking: ``POST /version1/messaging`` (form ``username``, ``to``, ``message``, ``from``;
header ``apiKey``) answers 201 ``{"SMSMessageData": {"Message", "Recipients": [{"statusCode",
"number", "status", "cost", "messageId"}]}}``. Infobip: ``POST /sms/3/messages`` (JSON, header
``Authorization: App KEY``) answers 200 ``{"bulkId", "messages": [{"messageId", "status":
{"groupId", "groupName", "id", "name", "description"}, "destination"}]}``; ``GET /sms/3/logs
?messageId=`` answers ``{"results": [...]}``.

``mode`` sets how it behaves: ``ok``; ``http_500`` (a 5xx, nothing taken); ``reject`` (no credit:
AT code 405, Infobip REJECTED); ``invalid_number`` (AT 403, Infobip UNDELIVERABLE); ``timeout``
(takes the message, then never answers); ``lost`` (never answers and never took it: the request
was lost on the way). ``latency`` delays every answer. :meth:`FakeSms.stop`
closes the port (connection refused) and :meth:`FakeSms.start` opens it again on the same port.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Kind = Literal["africastalking", "infobip"]
Mode = Literal["ok", "http_500", "reject", "invalid_number", "timeout", "lost"]
AT_COST = "KES 0.8000"


@dataclass
class Taken:
    """A message the fake accepted (or took and never answered for)."""

    message_id: str
    to: str
    text: str
    sender: str | None
    at: float
    answered: bool = True


@dataclass
class FakeSms:
    kind: Kind
    api_key: str = "fake-key"
    username: str = "sandbox"
    mode: Mode = "ok"
    latency: float = 0.0
    logs_hidden: bool = False  # GET /sms/3/logs finds nothing yet (Infobip's logs lag its sends)
    taken: dict[str, Taken] = field(default_factory=dict)
    requests: int = 0
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None
    _thread: threading.Thread | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def texts_to(self, number: str) -> list[str]:
        digits = number.lstrip("+")
        return [t.text for t in self.taken.values() if t.to.lstrip("+") == digits]

    # --- the API ------------------------------------------------------------------------------

    def app(self) -> Starlette:
        routes = ([Route("/version1/messaging", self._at_send, methods=["POST"])] if self.kind == "africastalking"
                  else [Route("/sms/3/messages", self._ib_send, methods=["POST"]),
                        Route("/sms/3/logs", self._ib_logs, methods=["GET"])])
        return Starlette(routes=routes)

    async def _behave(self) -> Response | None:
        self.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.mode == "http_500":
            return JSONResponse({"error": "Internal Server Error"}, status_code=500)
        return None

    async def _never_answer(self) -> Response:
        await asyncio.sleep(3600)
        return Response(status_code=504)

    def _take(self, to: str, text: str, sender: str | None, message_id: str | None = None) -> Taken:
        mid = message_id or (f"ATXid_{secrets.token_hex(8)}" if self.kind == "africastalking"
                             else f"ib-{next(self._ids)}")
        taken = Taken(mid, to, text, sender, time.time(), answered=self.mode != "timeout")
        self.taken[mid] = taken
        return taken

    async def _at_send(self, request: Request) -> Response:
        if request.headers.get("apiKey") != self.api_key:
            return Response("The supplied authentication is invalid", status_code=401, media_type="text/plain")
        form = await request.form()
        username, to, text = (str(form.get(k) or "") for k in ("username", "to", "message"))
        if username != self.username or not to or not text:
            return Response("Request is missing required form field 'to'", status_code=400, media_type="text/plain")
        failed = await self._behave()
        if failed is not None:
            return failed
        if self.mode == "lost":
            return await self._never_answer()
        recipients = []
        for number in [n.strip() for n in to.split(",") if n.strip()]:
            if self.mode == "reject":
                recipients.append({"statusCode": 405, "number": number, "status": "InsufficientBalance",
                                   "cost": "0", "messageId": "None"})
            elif self.mode == "invalid_number":
                recipients.append({"statusCode": 403, "number": number, "status": "InvalidPhoneNumber",
                                   "cost": "0", "messageId": "None"})
            else:
                taken = self._take(number, text, str(form.get("from") or "") or None)
                recipients.append({"statusCode": 101, "number": number, "status": "Success", "cost": AT_COST,
                                   "messageId": taken.message_id})
        if self.mode == "timeout":
            return await self._never_answer()
        sent = sum(1 for r in recipients if r["statusCode"] == 101)
        summary = f"Sent to {sent}/{len(recipients)} Total Cost: KES {0.8 * sent:.4f}"
        return JSONResponse({"SMSMessageData": {"Message": summary, "Recipients": recipients}}, status_code=201)

    async def _ib_send(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"App {self.api_key}":
            return JSONResponse({"requestError": {"serviceException": {"messageId": "UNAUTHORIZED",
                                                                      "text": "Invalid login details"}}}, 401)
        try:
            body: Any = await request.json()
            messages = body["messages"]
            assert isinstance(messages, list) and messages
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse({"requestError": {"serviceException": {"messageId": "BAD_REQUEST",
                                                                      "text": "Bad request"}}}, 400)
        failed = await self._behave()
        if failed is not None:
            return failed
        if self.mode == "lost":
            return await self._never_answer()
        out = []
        for message in messages:
            for dest in message.get("destinations", []):
                status = {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED",
                          "description": "Message sent to next instance"}
                mid = dest.get("messageId")
                if self.mode == "reject":
                    status = {"groupId": 5, "groupName": "REJECTED", "id": 12, "name": "REJECTED_NOT_ENOUGH_CREDITS",
                              "description": "Not enough credits"}
                elif self.mode == "invalid_number":
                    status = {"groupId": 2, "groupName": "UNDELIVERABLE", "id": 9,
                              "name": "UNDELIVERABLE_NOT_DELIVERED", "description": "Invalid destination"}
                else:
                    mid = self._take(dest["to"], message["content"]["text"], message.get("sender"), mid).message_id
                out.append({"messageId": mid or f"ib-{next(self._ids)}", "status": status, "destination": dest["to"],
                            "details": {"messageCount": 1}})
        if self.mode == "timeout":
            return await self._never_answer()
        return JSONResponse({"bulkId": f"bulk-{next(self._ids)}", "messages": out})

    async def _ib_logs(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"App {self.api_key}":
            return JSONResponse({"requestError": {"serviceException": {"messageId": "UNAUTHORIZED"}}}, 401)
        taken = self.taken.get(request.query_params.get("messageId", ""))
        if taken is None or self.logs_hidden:
            return JSONResponse({"results": []})
        return JSONResponse({"results": [self.infobip_result(taken.message_id, "DELIVERED")]})

    # --- reports the provider would post to us --------------------------------------------------

    def infobip_result(self, message_id: str, group: str = "DELIVERED") -> dict[str, Any]:
        taken = self.taken[message_id]
        ok = group in ("DELIVERED", "PENDING")
        return {"messageId": message_id, "to": taken.to, "sender": taken.sender,
                "sentAt": datetime.fromtimestamp(taken.at, UTC).isoformat(), "doneAt": datetime.now(UTC).isoformat(),
                "messageCount": 1, "price": {"pricePerMessage": 1.0, "currency": "KES"},
                "status": {"groupId": 3 if ok else 2, "groupName": group, "id": 5 if ok else 9,
                           "name": f"{group}_TO_HANDSET" if ok else "UNDELIVERABLE_NOT_DELIVERED"},
                "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error",
                          "permanent": False} if ok else
                         {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27, "name": "EC_ABSENT_SUBSCRIBER",
                          "description": "Absent Subscriber", "permanent": False}}

    def infobip_report(self, message_id: str, group: str = "DELIVERED") -> dict[str, Any]:
        return {"results": [self.infobip_result(message_id, group)]}

    def at_report(self, message_id: str, status: str = "Success", reason: str | None = None) -> dict[str, str]:
        taken = self.taken[message_id]
        form = {"id": message_id, "status": status, "phoneNumber": taken.to, "networkCode": "63902"}
        if reason:
            form["failureReason"] = reason
        return form

    # --- serving --------------------------------------------------------------------------------

    def _config(self) -> uvicorn.Config:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        return uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                              timeout_graceful_shutdown=1, access_log=False)

    async def start(self) -> str:
        """Serve in this event loop (a test's); the same port after a :meth:`stop`."""
        self._server = uvicorn.Server(self._config())
        self._task = asyncio.get_running_loop().create_task(self._server.serve(), name=f"fake-{self.kind}")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"the fake {self.kind} did not start")
            await asyncio.sleep(0.01)
        return self.url

    async def stop(self) -> None:
        """Close the port: the next request is refused."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server, self._task = None, None

    def start_in_thread(self) -> str:
        """Serve from a thread with its own event loop (a browser test's or a bench's server)."""
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(target=self._server.run, name=f"fake-{self.kind}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the fake {self.kind} did not start")
            time.sleep(0.01)
        return self.url

    def stop_thread(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server, self._thread = None, None
