"""Call log benchmark: a page of 50 calls from 1,000,000 call records on PostgreSQL (goal p99 <= 50 ms).

It migrates the database ``sb_bench_calls``, fills it once (reused on later runs) with 100,000
customers (``store.seed.bulk``), 200 agents, and 1,000,000 call records over 365 days (4 queues, 80%
inbound, 85% answered, 5% abandoned, 70% linked to a customer), with the agent state log entries of
each answered call (ringing, on call, wrap-up, ready) and a note with a disposition for 60% of them,
all by ``COPY``. Then it times ``GET /api/calls`` through the real app (httpx's ASGI transport,
signed in as a supervisor; one request at a time) for each kind of page:

a. the newest 50 (no filter); b. a deep page (the cursor of a random call); c. one agent's newest;
d. one agent's calls of one day; e. one queue's abandoned calls; f. one customer's calls;
g. one campaign's calls; h. one day, inbound only.

Each answer is checked (50 rows where there are 50, newest first, the filter held). Besides the wall
time it prints the median CPU time of the process per page (the app and the client run in it), which
the machine's other load does not inflate.

    .venv/bin/python bench/call_log.py [--calls 1000000] [--samples 300] [--rebuild]

PostgreSQL: SWITCHBOARD_BENCH_PG_ADMIN (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from agent_ui.app import create_app  # noqa: E402
from agent_ui.services import build_services  # noqa: E402
from bench.stats import pct  # noqa: E402
from config.settings import CONFIG_DIR, Settings  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import CallRecord, Campaign, Customer, Role, User  # noqa: E402
from store.repositories.call_log_queries import encode_cursor  # noqa: E402
from store.repositories.users import UserRepository  # noqa: E402
from store.seed.bulk import build_bulk  # noqa: E402

PG_ADMIN = os.environ.get("SWITCHBOARD_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = "sb_bench_calls"
SUPERVISOR = ("bench-supervisor", "bench-supervisor-pass")
AGENTS = 200
CUSTOMERS = 100_000
QUEUES = ("collections", "customer_service", "sales", "support")
END = datetime(2026, 12, 1, tzinfo=UTC)
MAX_PHASE_SECONDS = 120.0


async def _pg_url(rebuild: bool) -> tuple[str, str]:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        if rebuild:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_NAME):
            await conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await conn.close()
    base = PG_ADMIN.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{PG_NAME}", f"{base}/{PG_NAME}"


async def _people(database: Database) -> tuple[list[int], int]:
    async with database.session() as s:
        users = UserRepository(s)
        if await users.get(SUPERVISOR[0]) is None:
            await users.create(SUPERVISOR[0], SUPERVISOR[1], "supervisor")
        have = list((await s.scalars(select(User.id).where(User.role == Role.AGENT).order_by(User.id))).all())
        for n in range(len(have), AGENTS):
            s.add(User(username=f"bench-agent-{n:03d}", display_name=f"Agent {n}", role=Role.AGENT,
                       password_hash="x", extension=f"PJSIP/{5000 + n}", queues=[QUEUES[n % 4]]))
        for queue in QUEUES:
            if await s.scalar(select(Campaign.id).where(Campaign.code == queue)) is None:
                s.add(Campaign(code=queue, name=queue.title(), queue=queue))
    async with database.session() as s:
        agents = list((await s.scalars(select(User.id).where(User.role == Role.AGENT).order_by(User.id))).all())
        first = await s.scalar(select(func.min(Customer.id))) or 1
    return agents, first


def _batch(rng: random.Random, start: int, count: int, agents: list[int], first_customer: int,
           customers: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    calls, states, notes = [], [], []
    span = 365 * 86400
    for n in range(start, start + count):
        offered = END - timedelta(seconds=rng.randrange(span))
        call_id = f"bench/{n}"
        inbound = rng.random() < 0.8
        roll = rng.random()
        answered = roll < 0.85
        abandoned = inbound and 0.85 <= roll < 0.90
        agent = rng.choice(agents) if answered or not inbound else None
        customer = first_customer + rng.randrange(customers) if rng.random() < 0.7 else None
        wait = rng.randrange(0, 90)
        answered_at = offered + timedelta(seconds=wait) if answered else None
        talk = rng.randrange(20, 600) if answered else None
        ended = (answered_at + timedelta(seconds=talk or 0)) if answered_at else offered + timedelta(seconds=wait)
        calls.append((call_id, "inbound" if inbound else "outbound", "asterisk", "default",
                      f"+2547{rng.randrange(10**8):08d}", "0800123456", rng.choice(QUEUES) if inbound else None,
                      "[]", agent, customer, offered, offered if inbound else None, answered_at, ended,
                      wait if inbound else None, talk, "normal" if answered else ("abandoned" if abandoned else "no_answer"),
                      abandoned))
        if answered and agent is not None and answered_at is not None:
            wrap = rng.randrange(5, 90)
            states += [(agent, offered + timedelta(seconds=max(0, wait - 2)), "ringing", None, call_id),
                       (agent, answered_at, "on_call", None, call_id),
                       (agent, ended, "wrap_up", "wrap_up", call_id),
                       (agent, ended + timedelta(seconds=wrap), "ready", None, None)]
            if customer is not None and rng.random() < 0.6:
                notes.append((customer, "call", agent, ended + timedelta(seconds=wrap - 1), call_id, "contacted",
                              "account_discussed", "closed", False, False, True))
    return calls, states, notes


async def fill(database: Database, dsn: str, calls: int) -> float:
    """Customers, agents and ``calls`` call records (with state log and notes); 0 when reused."""
    async with database.session() as s:
        have_customers = await s.scalar(select(func.count()).select_from(Customer)) or 0
        have_calls = await s.scalar(select(func.count()).select_from(CallRecord)) or 0
    started = time.perf_counter()
    if have_customers < CUSTOMERS:
        await build_bulk(database, CUSTOMERS - have_customers, batch=50_000)
    agents, first_customer = await _people(database)
    if have_calls >= calls:
        return 0.0
    rng = random.Random(18)
    conn = await asyncpg.connect(dsn)
    try:
        step = 100_000
        for start in range(have_calls, calls, step):
            rows, states, notes = _batch(rng, start, min(step, calls - start), agents, first_customer, CUSTOMERS)
            await conn.copy_records_to_table("call_records", records=rows, columns=[
                "call_id", "direction", "carrier", "server", "caller_number", "dialed_number", "queue", "ivr",
                "agent_id", "customer_id", "offered_at", "queued_at", "answered_at", "ended_at", "hold_seconds",
                "talk_seconds", "cause", "abandoned"])
            await conn.copy_records_to_table("agent_state_log", records=states,
                                             columns=["user_id", "at", "state", "reason", "call_id"])
            await conn.copy_records_to_table("interactions", records=notes, columns=[
                "customer_id", "channel", "operator_id", "created_at", "call_id", "disposition_status",
                "disposition_reason", "disposition_resolution", "send_message", "message_sent", "complete"])
            print(f"  {start + len(rows):,}/{calls:,} calls in {time.perf_counter() - started:.0f} s", flush=True)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def scenarios(database: Database, samples: int) -> dict[str, list[dict[str, Any]]]:
    """The query strings of each kind of page, drawn at random from the stored data."""
    rng = random.Random(7)
    async with database.session() as s:
        agents = list((await s.scalars(select(User.username).where(User.role == Role.AGENT))).all())
        ids = (await s.execute(select(func.min(CallRecord.id), func.max(CallRecord.id)))).one()
        picks = []
        for _ in range(samples):
            row = (await s.execute(select(CallRecord.offered_at, CallRecord.id, CallRecord.customer_id)
                                   .where(CallRecord.id >= rng.randrange(ids[0], ids[1])).limit(1))).one()
            picks.append(row)
        customers = [c for (c,) in (await s.execute(text(
            "SELECT customer_id FROM call_records WHERE customer_id IS NOT NULL "
            "ORDER BY random() LIMIT :n"), {"n": samples})).all()]
    def day() -> str:
        return (END - timedelta(days=rng.randrange(1, 360))).date().isoformat()

    return {
        "newest 50": [{} for _ in range(samples)],
        "deep page (cursor)": [{"cursor": encode_cursor(at, i)} for at, i, _c in picks],
        "agent, newest": [{"agent": rng.choice(agents)} for _ in range(samples)],
        "agent, one day": [{"agent": rng.choice(agents), "from": (d := day()), "to": d} for _ in range(samples)],
        "queue, abandoned": [{"queue": rng.choice(QUEUES), "outcome": "abandoned"} for _ in range(samples)],
        "customer": [{"customer": c} for c in customers],
        "campaign": [{"campaign": rng.choice(QUEUES)} for _ in range(samples)],
        "one day, inbound": [{"from": (d := day()), "to": d, "direction": "inbound"} for _ in range(samples)],
    }


def check(params: dict[str, Any], body: dict[str, Any]) -> bool:
    items = body["items"]
    times = [i["offered_at"] for i in items]
    ok = times == sorted(times, reverse=True) and len(items) <= 50
    if "agent" in params:
        ok = ok and all(i["agent"] == params["agent"] for i in items)
    if "customer" in params:
        ok = ok and all(i["customer_id"] == params["customer"] for i in items) and len(items) > 0
    if params.get("outcome"):
        ok = ok and all(i["outcome"] == params["outcome"] for i in items)
    if "cursor" not in params and not params:
        ok = ok and len(items) == 50
    return ok


async def timed(queries: list[dict[str, Any]], call: Callable[[dict[str, Any]], Awaitable[bool]]
                ) -> tuple[list[float], list[float], int]:
    """Wall and CPU milliseconds per page (CPU: this process, the app and the client in it)."""
    for q in queries[:20]:
        await call(q)
    times, cpu, bad = [], [], 0
    deadline = time.monotonic() + MAX_PHASE_SECONDS
    for q in queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        ok = await call(q)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        bad += not ok
        if time.monotonic() > deadline:
            break
    return times, cpu, bad


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database first")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/switchboard-bench"))
    args = parser.parse_args()
    if not 1 <= args.samples <= 10_000 or not 1_000 <= args.calls <= 5_000_000:
        parser.error("--samples must be 1..10000 and --calls 1000..5000000")
    url, dsn = await _pg_url(args.rebuild)
    await upgrade_async(url)
    database = Database(make_engine(url))
    print(f"preparing {args.calls:,} call records ...", flush=True)
    took = await fill(database, dsn, args.calls)
    queries = await scenarios(database, args.samples)
    await database.dispose()

    args.workdir.mkdir(parents=True, exist_ok=True)
    config_dir = args.workdir / "config-calls"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    settings = Settings(env="test", database_url=url, secret_key=SecretStr("bench-" + "k" * 40),
                        config_dir=config_dir, attachments_dir=args.workdir / "attachments", redis_url=None)
    services = build_services(settings)
    await services.start()
    app = create_app(settings, services, components=[])
    lines = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            login = await client.post("/api/auth/login", json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            for name, params in queries.items():
                async def page(q: dict[str, Any]) -> bool:
                    reply = await client.get("/api/calls", params={**q, "limit": 50}, headers=headers)
                    return reply.status_code == 200 and check(q, reply.json())

                ms, cpu, bad = await timed(params, page)
                lines.append(f"{name:<22} {len(ms):>7,} {statistics.median(ms):>8.2f} {pct(ms, 99):>8.2f} "
                             f"{max(ms):>8.2f} {statistics.median(cpu):>8.2f} {bad:>6}")
                print(lines[-1], flush=True)
    finally:
        await services.close()
    print()
    built = f"built in {took:.0f} s" if took else "reused"
    print(f"PostgreSQL, {args.calls:,} call records ({built}); GET /api/calls?limit=50 through the app")
    print(f"{'page':<22} {'samples':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'CPU p50':>8} {'wrong':>6}")
    for line in lines:
        print(line)
    print("goal: a page of 50 p99 <= 50 ms")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}")


if __name__ == "__main__":
    asyncio.run(main())
