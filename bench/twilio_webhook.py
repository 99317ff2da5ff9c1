"""Twilio webhook benchmark: signed ``POST /twilio/voice`` at a fixed rate, TwiML latency p50/p99.

A server process (uvicorn, one worker, on a loopback socket the parent opened on an ephemeral port)
serves ``/twilio/voice`` the way agent_ui wires it: form -> WebhookRequest -> TwilioVoiceService
(signature check, parse, dedupe, ACD decision, events on the in-process bus) -> TwiML. The parent
sends new inbound calls, each with its own CallSid and a real X-Twilio-Signature, on an open-loop
schedule (a request every 1/rate s, whether or not earlier ones have answered), and measures each
request's time from send to the full TwiML body.

Two agents are ready, so the first calls are offered (the caller joins the call's conference,
``<Dial><Conference>``) and the rest are enqueued (<Enqueue>): both answers are exercised. The
ring of the agent into the conference (a Participants API request after the answer) is taken at
once by a stand-in, without the network: the agents then ring, as with Twilio, and nothing leaves. Goal: p99 <= 20 ms at 200 requests/s for 30 s.

    .venv/bin/python bench/twilio_webhook.py [--rate 200] [--seconds 30] [--ledger-db URL]

``--ledger-db`` keeps the handled callbacks in that database (``sqlite+aiosqlite:///...`` or
``postgresql+asyncpg://...``, its tables created), as the app does, instead of in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PUBLIC_URL = "https://switchboard.bench.invalid"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "b" * 32
OUR_NUMBER = "+254709000000"


def serve(fd: int) -> None:
    """The server process: the service behind a FastAPI route, as the integration will wire it."""
    import uvicorn
    from pydantic import SecretStr

    from bus.memory import InProcessBus
    from config.settings import Settings, TwilioSettings
    from cti.twilio.acd import TwilioAcd
    from cti.twilio.rest import CallResource, TwilioRest
    from cti.twilio.service import TwilioVoiceService, WebhookRequest
    from domain.errors import SwitchboardError
    from domain.events import Event, utcnow

    settings = Settings(public_url=PUBLIC_URL, twilio=TwilioSettings(  # any other REST: a closed port
        account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), caller_id=OUR_NUMBER, api_base="http://127.0.0.1:9"))

    class RingsTaken(TwilioRest):
        """Twilio taking every ring at once (the bench measures the webhook, not the Participants API)."""

        async def add_participant(self, conference: str, params: Mapping[str, Any]) -> CallResource:
            return CallResource(sid="CA" + "0" * 32, status="queued")

    bus = InProcessBus()
    published = 0

    async def count(event: Event) -> None:
        nonlocal published
        published += 1

    bus.subscribe(Event, count, group="bench")
    acd = TwilioAcd()
    service = TwilioVoiceService(settings, acd, bus.publish, RingsTaken(settings.twilio),
                                 default_queue="collections")
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ledger_db = os.environ.get("SB_BENCH_LEDGER_DB")
        if ledger_db:  # the app's ledger: handled callbacks in the database
            from store.db import Database, make_engine
            from store.models import Base
            from store.repositories.webhook_receipts import WebhookReceipts

            engine = make_engine(ledger_db)
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            service.ledger = WebhookReceipts(Database(engine))
        await bus.start()
        for name in ("amina", "brian"):
            await service.apply(acd.queue_add("collections", f"client:{name}", name, utcnow()))
        yield
        await bus.stop()

    app = FastAPI(lifespan=lifespan)

    @app.post("/twilio/voice")
    async def voice(request: Request) -> Response:
        form = await request.form()
        req = WebhookRequest(request.url.path, request.url.query,
                             [(k, str(v)) for k, v in form.multi_items()],
                             request.headers.get("X-Twilio-Signature"))
        try:
            answer = await service.handle_voice(req)
        except SwitchboardError as exc:
            return Response(exc.message, status_code=exc.status)
        return Response(answer, media_type="application/xml")

    # socket(fileno=) keeps the real family (AF_INET); uvicorn's own fd= assumes AF_UNIX, which
    # skips TCP_NODELAY and adds ~40 ms (Nagle + delayed ACK) to every keep-alive response.
    listener = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


async def load(port: int, rate: float, seconds: float) -> tuple[list[float], int, float]:
    import aiohttp

    from cti.twilio.signature import compute_signature

    total = int(rate * seconds)
    url = PUBLIC_URL + "/twilio/voice?queue=collections"
    target = f"http://127.0.0.1:{port}/twilio/voice?queue=collections"
    latencies: list[float] = []
    errors = 0
    max_late = 0.0

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        for _ in range(50):  # wait for the server to answer (bounded)
            try:
                async with session.get(f"http://127.0.0.1:{port}/docs") as resp:
                    await resp.read()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)

        async def one(i: int, due: float) -> None:
            nonlocal errors, max_late
            form = {"AccountSid": ACCOUNT_SID, "CallSid": f"CA{i + 1:032x}", "CallStatus": "ringing",
                    "From": f"+2547{i % 100_000_000:08d}", "To": OUR_NUMBER, "Direction": "inbound",
                    "ApiVersion": "2010-04-01"}
            headers = {"X-Twilio-Signature": compute_signature(url, form, AUTH_TOKEN)}
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            start = time.perf_counter()
            max_late = max(max_late, start - due)
            try:
                async with session.post(target, data=form, headers=headers) as resp:
                    body = await resp.text()
                    if resp.status != 200 or "<Response>" not in body:
                        errors += 1
                        if errors == 1:
                            print(f"first error: HTTP {resp.status}: {body[:200]}")
                        return
            except aiohttp.ClientError:
                errors += 1
                return
            latencies.append(time.perf_counter() - start)

        t0 = time.perf_counter() + 0.5
        tasks = [asyncio.create_task(one(i, t0 + i / rate)) for i in range(total)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors += sum(1 for r in results if isinstance(r, BaseException))
    return latencies, errors, max_late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ledger-db", help="keep handled callbacks in this database, as the app does")
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fd is not None:
        serve(args.serve_fd)
        return

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-fd", str(sock.fileno())], pass_fds=[sock.fileno()],
        env={**os.environ, "PYTHONPATH": str(ROOT), "SB_BENCH_LEDGER_DB": args.ledger_db or ""},
    )
    try:
        latencies, errors, max_late = asyncio.run(load(port, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
        sock.close()
    if not latencies:
        print(f"no successful requests ({errors} errors)")
        sys.exit(1)
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"POST /twilio/voice (signed, TwiML answer): {len(ms)} ok, {errors} errors, "
          f"{args.rate:.0f} req/s for {args.seconds:.0f} s")
    print(f"latency p50 {p50:.2f} ms   p99 {p99:.2f} ms   max {ms[-1]:.2f} ms   "
          f"(client send lateness max {max_late * 1000:.1f} ms)")
    print(f"goal p99 <= 20 ms: {'met' if p99 <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
