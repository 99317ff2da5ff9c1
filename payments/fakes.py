"""A local Daraja for the tests and the benches (as httpx and starlette ship fakes): it speaks the
documented shapes on 127.0.0.1 and the product talks to it through its real client
(``SWITCHBOARD_MPESA__BASE_URL``). It never reaches the internet.

* ``GET /oauth/v1/generate``: basic auth with the consumer key and secret; tokens expire after
  ``token_ttl`` seconds (an expired or unknown token is 401, as Daraja answers).
* ``POST /mpesa/stkpush/v1/processrequest``: checks the body as Daraja does (the Password is
  base64 of shortcode + passkey + Timestamp, whole-shilling Amount, 2547/2541 numbers,
  AccountReference of at most 12 characters ...), then plays the next scripted
  :class:`StkOutcome`: after ``delay`` seconds the result is decided and, unless ``callback`` is
  False, posted to the request's CallBackURL as ``Body.stkCallback``. :meth:`FakeDaraja.fail_next_push`
  makes the next pushes answer an error (500 by default) instead; :meth:`FakeDaraja.delay_next_push`
  answers late (the push went out, its answer is lost to a client that stopped waiting).
* ``POST /mpesa/stkpushquery/v1/query``: the decided result, or 500 ``500.001.1001`` ("The
  transaction is being processed") before then.
* ``POST /mpesa/c2b/v1/registerurl``: remembers the URLs; :meth:`FakeDaraja.pay_bill` then plays a
  customer paying the paybill (validation, then confirmation, to those URLs).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import secrets
import string
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from payments.c2b_protocol import c2b_body
from payments.stk_protocol import StkResult, password, stk_callback_body

_PHONE = re.compile(r"^254[17]\d{8}$")
_RESULT_TEXT = {0: "The service request is processed successfully.", 1: "The balance is insufficient for the "
                "transaction.", 1032: "Request cancelled by user", 1037: "DS timeout user cannot be reached",
                2001: "The initiator information is invalid."}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"requestId": secrets.token_hex(8), "errorCode": code, "errorMessage": message},
                        status_code=status)


def receipt_code(prefix: str = "QK7") -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(7))


@dataclass
class StkOutcome:
    """How the customer's phone answers the next push: ``code`` 0 paid, 1032 cancelled, 1037 no
    answer from the phone, 2001 wrong PIN, 1 not enough funds."""

    code: int = 0
    callback: bool = True  # False: no callback ever comes; only the query API knows the result
    delay: float = 0.2  # seconds until the customer has answered
    description: str | None = None


@dataclass
class Push:
    body: dict[str, Any]
    outcome: StkOutcome
    merchant_request_id: str
    checkout_request_id: str
    decided_at: float
    receipt: str | None = None
    callback_status: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    authorization: str | None


@dataclass
class FakeDaraja:
    consumer_key: str = "fake-key"
    consumer_secret: str = "fake-secret"
    shortcode: str = "174379"
    passkey: str = "fake-passkey"
    token_ttl: float = 3599.0
    default_outcome: StkOutcome = field(default_factory=StkOutcome)
    outcomes: deque[StkOutcome] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    pushes: dict[str, Push] = field(default_factory=dict)
    registered: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    _failures: deque[tuple[int, str, str]] = field(default_factory=deque)
    _slow: deque[float] = field(default_factory=deque)
    _tokens: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _server: uvicorn.Server | None = None
    _serving: asyncio.Task[None] | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: list[asyncio.Event] = field(default_factory=list)

    # --- scripting ------------------------------------------------------------------------------------

    def next_outcome(self, code: int = 0, *, callback: bool = True, delay: float = 0.2) -> None:
        self.outcomes.append(StkOutcome(code, callback, delay))

    def fail_next_push(self, status: int = 500, code: str = "500.001.1001",
                       message: str = "Unable to lock subscriber, a transaction is already in process") -> None:
        self._failures.append((status, code, message))

    def delay_next_push(self, seconds: float) -> None:
        """The next push is taken (and played) but answered only after ``seconds``: longer than the
        client's timeout, its answer is lost."""
        self._slow.append(seconds)

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # --- the API --------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/oauth/v1/generate", self._oauth, methods=["GET"]),
            Route("/mpesa/stkpush/v1/processrequest", self._push, methods=["POST"]),
            Route("/mpesa/stkpushquery/v1/query", self._query, methods=["POST"]),
            Route("/mpesa/c2b/v1/registerurl", self._register, methods=["POST"]),
        ])

    async def _record(self, request: Request) -> Any:
        try:
            body = await request.json() if request.method == "POST" else None
        except ValueError:
            body = None
        self.seen.append(Seen(request.method, request.url.path, body, request.headers.get("authorization")))
        return body

    async def _oauth(self, request: Request) -> JSONResponse:
        await self._record(request)
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
        if request.query_params.get("grant_type") != "client_credentials":
            return _error(400, "400.008.02", "Invalid grant type passed")
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(400, "400.008.01", "Invalid Authentication passed")
        token = secrets.token_urlsafe(20)
        self._tokens[token] = time.monotonic() + self.token_ttl
        return JSONResponse({"access_token": token, "expires_in": str(int(self.token_ttl))})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        expiry = self._tokens.get(header.removeprefix("Bearer "))
        return header.startswith("Bearer ") and expiry is not None and expiry > time.monotonic()

    def _bad_push(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "Invalid JSON"
        if body.get("BusinessShortCode") != self.shortcode or body.get("PartyB") != self.shortcode:
            return "Invalid BusinessShortCode"
        if body.get("Password") != password(self.shortcode, self.passkey, str(body.get("Timestamp"))):
            return "Invalid Password"
        if body.get("TransactionType") not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
            return "Invalid TransactionType"
        amount = body.get("Amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            return "Invalid Amount"
        phone = str(body.get("PhoneNumber", ""))
        if not _PHONE.match(phone) or body.get("PartyA") != phone:
            return "Invalid PhoneNumber"
        if not str(body.get("CallBackURL", "")).startswith(("http://", "https://")):
            return "Invalid CallBackURL"
        if not 1 <= len(str(body.get("AccountReference", ""))) <= 12:
            return "Invalid AccountReference"
        if not 1 <= len(str(body.get("TransactionDesc", ""))) <= 13:
            return "Invalid TransactionDesc"
        return None

    async def _push(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorised(request):
            return _error(401, "404.001.03", "Invalid Access Token")
        problem = self._bad_push(body)
        if problem is not None:
            return _error(400, "400.002.02", f"Bad Request - {problem}")
        if self._failures:
            status, code, message = self._failures.popleft()
            return _error(status, code, message)
        n = next(self._ids)
        outcome = self.outcomes.popleft() if self.outcomes else self.default_outcome
        push = Push(body, outcome, f"{n}-{secrets.randbelow(10**6)}-1", f"ws_CO_{int(time.time())}{n:06d}",
                    time.monotonic() + outcome.delay, receipt_code() if outcome.code == 0 else None)
        self.pushes[push.checkout_request_id] = push
        if outcome.callback:
            self._spawn(self._answer_later(push))
        if self._slow:
            await asyncio.sleep(self._slow.popleft())
        return JSONResponse({"MerchantRequestID": push.merchant_request_id,
                             "CheckoutRequestID": push.checkout_request_id, "ResponseCode": "0",
                             "ResponseDescription": "Success. Request accepted for processing",
                             "CustomerMessage": "Success. Request accepted for processing"})

    def result_of(self, push: Push) -> StkResult:
        code = push.outcome.code
        return StkResult(push.checkout_request_id, push.merchant_request_id, code,
                         push.outcome.description or _RESULT_TEXT.get(code, "Failed"), push.receipt,
                         Decimal(push.body["Amount"]) if code == 0 else None,
                         str(push.body["PhoneNumber"]) if code == 0 else None)

    async def _answer_later(self, push: Push) -> None:
        await asyncio.sleep(max(0.0, push.decided_at - time.monotonic()))
        body = stk_callback_body(self.result_of(push), datetime.now(UTC))
        push.callback_status = await self._post(str(push.body["CallBackURL"]), body)

    async def _query(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorised(request):
            return _error(401, "404.001.03", "Invalid Access Token")
        if not isinstance(body, dict) or body.get("Password") != password(self.shortcode, self.passkey,
                                                                          str(body.get("Timestamp"))):
            return _error(400, "400.002.02", "Bad Request - Invalid Password")
        push = self.pushes.get(str(body.get("CheckoutRequestID")))
        if push is None:
            return _error(400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")
        if time.monotonic() < push.decided_at:
            return _error(500, "500.001.1001", "The transaction is being processed")
        result = self.result_of(push)
        return JSONResponse({"ResponseCode": "0", "ResponseDescription": "The service request has been accepted "
                             "successsfully", "MerchantRequestID": push.merchant_request_id,
                             "CheckoutRequestID": push.checkout_request_id, "ResultCode": str(result.code),
                             "ResultDesc": result.description})

    async def _register(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        if not self._authorised(request):
            return _error(401, "404.001.03", "Invalid Access Token")
        if not isinstance(body, dict) or body.get("ShortCode") != self.shortcode or body.get(
                "ResponseType") not in ("Completed", "Cancelled"):
            return _error(400, "400.002.02", "Bad Request - Invalid ShortCode or ResponseType")
        self.registered = {k: str(body.get(k, "")) for k in ("ConfirmationURL", "ValidationURL", "ResponseType")}
        return JSONResponse({"OriginatorCoversationID": secrets.token_hex(6), "ResponseCode": "0",
                             "ResponseDescription": "Success"})

    # --- callbacks to the app ---------------------------------------------------------------------------

    async def _post(self, url: str, body: dict[str, Any]) -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, json=body)
            return response.status_code

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pay_bill(self, *, amount: int | str, bill_ref: str, msisdn: str = "254712345678",
                       trans_id: str | None = None, first_name: str = "JOHN", validate: bool = True,
                       paid_at: datetime | None = None) -> tuple[dict[str, Any], int]:
        """A customer pays the paybill: validation (if asked), then confirmation, to the registered
        URLs; returns the confirmation body sent and the app's HTTP status."""
        if not self.registered:
            raise RuntimeError("no URLs registered (switchboard mpesa register-urls)")
        body = c2b_body(trans_id=trans_id or receipt_code("RK"), amount=amount, paid_at=paid_at or datetime.now(UTC),
                        shortcode=self.shortcode, bill_ref=bill_ref, msisdn=msisdn, first_name=first_name)
        if validate and self.registered.get("ValidationURL"):
            await self._post(self.registered["ValidationURL"], body)
        return body, await self._post(self.registered["ConfirmationURL"], body)

    # --- serving ----------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Serve in the running event loop on 127.0.0.1 (an ephemeral port); returns the base URL."""
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._serving = asyncio.get_running_loop().create_task(self._server.serve(), name="fake-daraja")
        deadline = time.monotonic() + 20
        while not self._server.started:
            if self._serving.done() or time.monotonic() > deadline:
                raise RuntimeError("the fake Daraja did not start")
            await asyncio.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._serving, 10)

    def start_in_thread(self) -> str:
        """Serve from a thread with its own event loop (for tests whose app runs in another thread)."""
        ready = threading.Event()
        stopping: list[asyncio.Event] = []

        async def serve() -> None:
            stopping.append(asyncio.Event())
            await self.start()
            ready.set()
            await stopping[0].wait()
            await self.stop()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.close()

        self._stopping = stopping
        self._thread = threading.Thread(target=run, name="fake-daraja", daemon=True)
        self._thread.start()
        if not ready.wait(20):
            raise RuntimeError("the fake Daraja did not start")
        return self.base_url

    def call(self, coroutine: Any, timeout: float = 20) -> Any:
        """Run a coroutine (e.g. :meth:`pay_bill`) in the fake's own loop, from another thread."""
        assert self._loop is not None, "start_in_thread first"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop_thread(self) -> None:
        if self._loop is not None and self._stopping:
            self._loop.call_soon_threadsafe(self._stopping[0].set)
        if self._thread is not None:
            self._thread.join(timeout=15)
