"""M-Pesa C2B benchmark: Daraja's confirmations at a fixed rate into one server process.

A real server process (``switchboard serve``: every default component, the dialer on unless
``--no-dialer``) on PostgreSQL, with the Redis bus (``--memory-bus``: the in-process one). The
bench seeds ``--customers`` customers (a client ID, a phone, an overdue loan and a pending promise
each, assigned round-robin to ``--agents`` agents), opens each agent's WebSocket, and then posts
confirmations, as Daraja does, to ``/webhooks/mpesa/c2b/confirmation/{token}`` on an open-loop
schedule (one every 1/rate s, whether or not earlier ones were answered), each to a client ID,
each with its own TransID. The first ``--warmup`` s are not timed.

First, as a control for the machine's own noise, ``GET /api/health`` at the same rate for 3 s.
Measured per confirmation: the HTTP answer time, and the time from sending the confirmation to
the ``payment`` frame with that receipt on the assigned agent's socket (an upper bound of
"received to frame": it includes the request's way to the server). Afterwards the database must
hold every confirmation stored raw and posted once (a statement transaction per receipt): the
bench counts them. Goals: 500/s for 20 s, none lost; frame p99 <= 50 ms.

    .venv/bin/python bench/mpesa_c2b.py [--rate 500] [--seconds 20] [--warmup 3] [--customers 2000]
        [--agents 50] [--memory-bus] [--no-dialer] [--db sb_bench_mpesa] [--profile out.svg]

Creates, migrates and drops at the end the PostgreSQL database ``--db`` (``sb_bench_mpesa``); its Redis keys
(database 0) have a prefix of their own and are deleted at the end. Loopback only; bounded in
count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import websockets  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from agent_ui.tokens import TokenService  # noqa: E402
from bench.stats import pct  # noqa: E402
from payments.c2b_protocol import c2b_body  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import (  # noqa: E402
    Customer,
    CustomerPhone,
    Loan,
    MpesaCallback,
    MpesaPayment,
    PromiseStatus,
    PromiseToPay,
    Role,
    StatementTransaction,
    User,
)
from tests.cti_pbx.workers import ServerProcess  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "sb_bench_mpesa"
SECRET = "bench-mpesa-c2b-" + "k" * 32
TOKEN = "bench-callback-token-0123456789"
SHORTCODE = "600638"


def summary(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label}: no samples"
    return (f"{label}: n={len(ms)} p50={pct(ms, 50):.1f} ms p90={pct(ms, 90):.1f} ms p99={pct(ms, 99):.1f} ms "
            f"max={max(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(database: Database, customers: int, agents: int) -> dict[str, str]:
    """Agents (username -> socket token) and their customers, each owing 1,000 with a promise."""
    tokens = TokenService(SECRET, 12)
    async with database.session() as session:
        users = [User(username=f"mpesa{i:03d}", display_name=f"Agent {i}", role=Role.AGENT, password_hash="x",
                      extension=f"PJSIP/m{i:03d}", queues=["collections"]) for i in range(agents)]
        session.add_all(users)
        await session.flush()
        for start in range(0, customers, 1000):
            batch = []
            for i in range(start, min(customers, start + 1000)):
                c = Customer(name=f"Customer {i}", name_lower=f"customer {i}", timezone="Africa/Nairobi",
                             client_id=f"BCH{i:06d}", assigned_agent_id=users[i % agents].id)
                c.phones = [CustomerPhone(e164=f"+2547{i:08d}", position=0)]
                batch.append(c)
            session.add_all(batch)
            await session.flush()
            for c in batch:
                session.add(Loan(customer_id=c.id, external_ref=f"L-{c.client_id}", product="solar",
                                 applied_amount=Decimal(20000), principal=Decimal(20000),
                                 interest_amount=Decimal(0), balance=Decimal(10000), start_date=date(2025, 1, 1),
                                 end_date=date(2027, 1, 1), days_past_due=10, overdue_amount=Decimal(1000),
                                 status="active", currency="KES"))
                session.add(PromiseToPay(customer_id=c.id, amount=Decimal(1000), due_date=date(2026, 12, 10),
                                         assignee_id=c.assigned_agent_id))
            await session.flush()
    async with database.autocommit() as connection:  # the seeded tables' statistics, as a live database has
        # them (the tables the run fills are left unanalysed: statistics saying "empty" would make the
        # planner scan them whole for each batch as they grow, which a live database never sees)
        await connection.execute(text("ANALYZE customers, customer_phones, loans, promises, users"))
    return {u.username: tokens.issue(u) for u in users}


class Sockets:
    """One socket per agent; every ``payment`` frame is timed against its confirmation's send."""

    def __init__(self, owner: dict[str, str], timed: set[str]) -> None:
        self.owner = owner  # receipt -> the agent whose socket must show it
        self.timed = timed  # the receipts whose frames are timed (the others are the warm-up's)
        self.sent: dict[str, float] = {}
        self.latencies_ms: list[float] = []
        self.timeline: list[tuple[float, float]] = []  # (sent at, frame latency ms), for --timeline
        self.frames: dict[str, int] = {}
        self.wrong = 0
        self.all_seen = asyncio.Event()  # a frame for every receipt of ``owner``
        self._tasks: list[asyncio.Task[None]] = []
        self._sockets: list[Any] = []

    async def open(self, ws_url: str, tokens: dict[str, str]) -> None:
        for name, token in tokens.items():
            ws = await websockets.connect(f"{ws_url}/ws?token={token}", open_timeout=30, max_queue=None)
            assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "hello"
            self._sockets.append(ws)
            self._tasks.append(asyncio.create_task(self._read(ws, name)))

    async def _read(self, ws: Any, name: str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                now = time.perf_counter()
                frame = json.loads(text)
                if frame["type"] != "payment":
                    continue
                receipt = frame["data"]["receipt"]
                if self.owner.get(receipt) != name:
                    self.wrong += 1
                    continue
                if receipt not in self.timed:
                    continue
                self.frames[receipt] = self.frames.get(receipt, 0) + 1
                if len(self.frames) == len(self.timed):
                    self.all_seen.set()
                sent = self.sent.get(receipt)
                if sent is not None:
                    self.latencies_ms.append((now - sent) * 1000)
                    self.timeline.append((sent, (now - sent) * 1000))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)


async def post_all(url: str, bodies: list[dict[str, Any]], rate: float, sockets: Sockets | None
                   ) -> tuple[list[float], int, float]:
    """POST every body at ``rate``/s (open loop); HTTP latencies, errors, worst lateness."""
    latencies: list[float] = []
    errors, late = 0, 0.0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512)) as session:
        async def one(body: dict[str, Any], due: float) -> None:
            nonlocal errors, late
            payload = json.dumps(body).encode()
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            start = time.perf_counter()
            late = max(late, start - due)
            if sockets is not None:
                sockets.sent[body["TransID"]] = start
            try:
                async with session.post(url, data=payload, headers={"Content-Type": "application/json"}) as resp:
                    answer = await resp.json()
                    if resp.status != 200 or answer.get("ResultCode") != 0:
                        errors += 1
                        return
            except (aiohttp.ClientError, ValueError):
                errors += 1
                return
            latencies.append((time.perf_counter() - start) * 1000)

        t0 = time.perf_counter() + 0.2
        await asyncio.gather(*(one(b, t0 + i / rate) for i, b in enumerate(bodies)))
    return latencies, errors, late


async def baseline(url: str, rate: float, seconds: float) -> list[float]:
    """The machine's own noise: a trivial request at the same rate, before the measurement."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        async def one(due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            start = time.perf_counter()
            async with session.get(url) as resp:
                await resp.read()
            latencies.append((time.perf_counter() - start) * 1000)

        t0 = time.perf_counter() + 0.1
        await asyncio.gather(*(one(t0 + i / rate) for i in range(int(rate * seconds))))
    return latencies


def bodies(prefix: str, count: int, customers: int, offset: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [c2b_body(trans_id=f"{prefix}{offset + i:08d}", amount=1000 if i % 3 else 400, paid_at=now,
                     shortcode=SHORTCODE, bill_ref=f"bch{(offset + i) % customers:06d}",
                     msisdn=f"2547{(offset + i) % customers:08d}", first_name="BENCH")
            for i in range(count)]


async def counts(database: Database, prefix: str) -> tuple[int, int, int, int]:
    async with database.session() as s:
        stored = await s.scalar(select(func.count()).select_from(MpesaCallback).where(
            MpesaCallback.kind == "c2b_confirmation", MpesaCallback.reference.like(f"{prefix}%")))
        posted = await s.scalar(select(func.count()).select_from(MpesaPayment).where(
            MpesaPayment.status == "posted", MpesaPayment.receipt.like(f"{prefix}%")))
        txns = await s.scalar(select(func.count()).select_from(StatementTransaction).where(
            StatementTransaction.external_ref.like(f"{prefix}%")))
        kept = await s.scalar(select(func.count()).select_from(PromiseToPay).where(
            PromiseToPay.status == PromiseStatus.KEPT))
    return int(stored or 0), int(posted or 0), int(txns or 0), int(kept or 0)


async def run(args: argparse.Namespace) -> int:
    await admin(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    await admin(f'CREATE DATABASE "{args.db}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{args.db}"
    redis_url = "redis://127.0.0.1:6379/0"
    prefix = f"sb-bench-mpesa-{secrets.token_hex(4)}:"
    database = Database(make_engine(url))
    try:
        await upgrade_async(url)
        tokens = await seed(database, args.customers, args.agents)
        env = {"SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_SECRET_KEY": SECRET, "SWITCHBOARD_ENV": "test",
               "SWITCHBOARD_MPESA__CALLBACK_TOKEN": TOKEN, "SWITCHBOARD_MPESA__SHORTCODE": SHORTCODE,
               "SWITCHBOARD_DIALER__ENABLED": "false" if args.no_dialer else "true"}
        if not args.memory_bus:
            env.update(SWITCHBOARD_REDIS_URL=redis_url, SWITCHBOARD_REDIS_PREFIX=prefix)
        with tempfile.TemporaryDirectory(prefix="mpesa-bench-") as tmp:
            server = ServerProcess("bench-mpesa", env, Path(tmp), cli=True).start()
            try:
                return await measure(args, database, server, tokens)
            finally:
                server.stop()
    finally:
        await database.dispose()
        await admin(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        if not args.memory_bus:
            await forget_keys(redis_url, prefix)


async def forget_keys(url: str, prefix: str) -> None:
    """Delete this run's Redis keys (only those with its own prefix)."""
    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 500):
            await redis.delete(*keys[start:start + 500])
    finally:
        await redis.aclose()


async def measure(args: argparse.Namespace, database: Database, server: ServerProcess,
                  tokens: dict[str, str]) -> int:
    await server.wait_up()
    target = f"{server.base_url}/webhooks/mpesa/c2b/confirmation/{TOKEN}"
    warm = bodies("BW", int(args.rate * args.warmup), args.customers, 0)
    timed = bodies("BN", int(args.rate * args.seconds), args.customers, len(warm))
    owner = {b["TransID"]: f"mpesa{int(b['BillRefNumber'][3:]) % args.agents:03d}" for b in warm + timed}
    sockets = Sockets(owner, {b["TransID"] for b in timed})
    await sockets.open(server.ws_url, tokens)
    print(f"mpesa-c2b: {len(tokens)} agent sockets open; {args.customers} customers; "
          f"bus {'in-process' if args.memory_bus else 'Redis'}; dialer {'off' if args.no_dialer else 'on'}")
    health = await baseline(f"{server.base_url}/api/health", args.rate, 3.0)
    print(summary("mpesa-c2b: control, GET /api/health (one SELECT 1) at the same rate for 3 s", health))
    _lat, warm_errors, _late = await post_all(target, warm, args.rate, None)
    await asyncio.sleep(2.0)
    print(f"mpesa-c2b: warm-up {len(warm)} confirmations in {args.warmup:.0f} s ({warm_errors} errors, not timed)")
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        cpu_from, started = cpu_seconds(server.pid), time.perf_counter()
        spy = profiler(server.pid, args.profile, args.seconds)
        http_ms, errors, late = await post_all(target, timed, args.rate, sockets)
        sent_for = time.perf_counter() - started
        cpu = (cpu_seconds(server.pid) - cpu_from) / sent_for
        if spy is not None:
            spy.wait(30)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sockets.all_seen.wait(), 60)
    finally:
        gc.enable()
        gc.unfreeze()
    await sockets.close()
    stored, posted, txns, kept = await counts(database, "BN")
    missing = len(timed) - len(sockets.frames)
    twice = sum(1 for n in sockets.frames.values() if n > 1)
    print(f"mpesa-c2b: {len(timed)} confirmations in {sent_for:.1f} s = {len(timed) / sent_for:.0f}/s "
          f"(asked {args.rate:.0f}/s; client lateness max {late * 1000:.0f} ms); {errors} HTTP errors")
    print(summary("mpesa-c2b: HTTP answer (ResultCode 0)", http_ms))
    print(summary("mpesa-c2b: confirmation sent -> payment frame on the assigned agent's socket",
                  sockets.latencies_ms))
    if args.timeline:
        print_timeline(sockets.timeline)
    print(f"mpesa-c2b: frames missing {missing}, shown twice {twice}, on a wrong socket {sockets.wrong}")
    print(f"mpesa-c2b: database: {stored} stored raw, {posted} posted, {txns} statement transactions "
          f"(of {len(timed)}); promises kept in all {kept}")
    print(f"mpesa-c2b: server CPU {cpu * 100:.0f}% of a core during the timed run = "
          f"{cpu * sent_for / len(timed) * 1000:.2f} ms per confirmation; RSS {server.rss_mb():.0f} MB")
    lost = len(timed) - min(stored, posted, txns)
    p99 = pct(sockets.latencies_ms, 99) if sockets.latencies_ms else float("inf")
    print(f"mpesa-c2b: none lost: {'yes' if lost == 0 and errors == 0 else f'NO ({lost} lost, {errors} errors)'}; "
          f"goal frame p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'}")
    return 0 if lost == 0 and errors == 0 else 1


def print_timeline(points: list[tuple[float, float]]) -> None:
    """Per second of the run: how many frames, their p50, p99 and worst (to tell a stall from load)."""
    if not points:
        return
    start = min(sent for sent, _ in points)
    seconds: dict[int, list[float]] = {}
    for sent, ms in points:
        seconds.setdefault(int(sent - start), []).append(ms)
    for second, values in sorted(seconds.items()):
        print(f"mpesa-c2b:   second {second:3d}: n={len(values):4d} p50={pct(values, 50):6.1f} "
              f"p99={pct(values, 99):6.1f} max={max(values):6.1f} ms")


def profiler(pid: int, out: str | None, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server during the timed run (``--profile``; py-spy in the venv)."""
    if not out:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    fmt = "speedscope" if out.endswith(".json") else "raw" if out.endswith(".txt") else "flamegraph"
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--rate", "200", "--gil", "--format", fmt, "--output", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--memory-bus", action="store_true", help="the in-process bus instead of Redis")
    parser.add_argument("--no-dialer", action="store_true", help="do not run the dialer in the server")
    parser.add_argument("--db", default=BENCH_DB, help="the PostgreSQL database to create and drop")
    parser.add_argument("--timeline", action="store_true", help="print the frame latency of each second")
    parser.add_argument("--profile", help="py-spy the server during the timed run into this file "
                        "(.svg flame graph, .txt collapsed stacks, .json speedscope)")
    args = parser.parse_args()
    if args.rate * (args.seconds + args.warmup) > 50_000 or args.seconds > 120:
        parser.error("bounded: at most 50,000 confirmations and 120 s")
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
