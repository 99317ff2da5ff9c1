"""Lookup benchmark: 1,000,000 customers on SQLite and PostgreSQL; p50/p99 of the screen-pop's own
lookup statement, of the pop's whole store work for a ring, and of ``GET /api/customers/{id}``.

For each backend it migrates a benchmark database, fills it with ``store.seed.bulk.build_bulk`` (customers,
1.2 phones each, a guarantor for one in ten; reused on later runs when already full), then times,
over random samples:

a. phone lookup, i.e. the statement the screen-pop runs for a caller ID: take a hot connection
   (``store.hot``), normalise the caller's number (``0712...`` -> E.164) and run the pop's
   ``POP_QUERY`` (``store.repositories.caller_lookup.find_matches``: the matches with their summaries);
b. the pop's whole store work for a ring, ``StoreCallerLookup.matches_for_call``: the lookup, the
   call-scoped grants and the link of the first match to the call's record (one statement on
   PostgreSQL, three on SQLite); each sample is a new call id, so it writes a grant and a call record;
c. ``GET /api/customers/{id}`` (the whole record) through the real app over httpx's ASGI
   transport, signed in as a supervisor (``POST /api/auth/login``).

Single process, one request at a time. Goal: phone lookup p99 <= 5 ms.

    .venv/bin/python bench/lookup.py [--customers 1000000] [--backend sqlite|postgres|both]
                                     [--samples 2000] [--rebuild] [--workdir /tmp/switchboard-bench]

PostgreSQL: database ``sb_bench_lookup`` on SWITCHBOARD_BENCH_PG_ADMIN
(default postgresql://postgres@127.0.0.1:5432/postgres).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from agent_ui.app import create_app  # noqa: E402
from agent_ui.services import build_services  # noqa: E402
from bench.stats import pct  # noqa: E402
from config.settings import CONFIG_DIR, Settings  # noqa: E402
from domain.events import utcnow  # noqa: E402
from domain.phone import national_digits, to_e164  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import Customer  # noqa: E402
from store.repositories.caller_lookup import StoreCallerLookup, find_matches  # noqa: E402
from store.repositories.users import UserRepository  # noqa: E402
from store.seed.bulk import build_bulk, main_phone  # noqa: E402

PG_ADMIN = os.environ.get("SWITCHBOARD_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = "sb_bench_lookup"
SUPERVISOR = ("bench-supervisor", "bench-supervisor-pass")
MAX_PHASE_SECONDS = 300.0


async def _pg_url(rebuild: bool) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        if rebuild:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_NAME):
            await conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{PG_NAME}"


async def prepare(url: str, customers: int) -> tuple[Database, int, float, int]:
    """Migrate and fill; returns the database, the first bulk id, the build time (0: reused) and
    the supervisor's id (the ringing "agent" of the ring samples)."""
    await upgrade_async(url)
    database = Database(make_engine(url))
    async with database.session() as s:
        have = await s.scalar(select(func.count()).select_from(Customer)) or 0
        first = await s.scalar(select(func.min(Customer.id))) or 1
    took = 0.0
    if have < customers:
        started = time.perf_counter()
        step = max(1, customers // 10)

        def progress(done: int, total: int) -> None:
            if done % step < 50_000 or done == total:
                print(f"  built {done:,}/{total:,} in {time.perf_counter() - started:.0f} s", flush=True)

        built_from = await build_bulk(database, customers - have, batch=50_000, progress=progress)
        first = built_from if have == 0 else first  # ids are contiguous from the smallest
        took = time.perf_counter() - started
    async with database.session() as s:
        users = UserRepository(s)
        user = await users.get(SUPERVISOR[0])
        if user is None:
            user = await users.create(SUPERVISOR[0], SUPERVISOR[1], "supervisor")
        agent_id = user.id
    return database, first, took, agent_id


async def timed(samples: list[int], call: Callable[[int], Awaitable[bool]]) -> tuple[list[float], int]:
    """Milliseconds per call (after a warm-up), bounded by MAX_PHASE_SECONDS; and the misses."""
    for cid in samples[:50]:
        await call(cid)
    times: list[float] = []
    misses = 0
    deadline = time.monotonic() + MAX_PHASE_SECONDS
    for cid in samples:
        started = time.perf_counter()
        ok = await call(cid)
        times.append((time.perf_counter() - started) * 1000)
        misses += not ok
        if time.monotonic() > deadline:
            break
    return times, misses


async def bench_backend(name: str, url: str, customers: int, sample_count: int, workdir: Path) -> list[str]:
    print(f"[{name}] preparing {customers:,} customers ...", flush=True)
    database, first, build_s, agent_id = await prepare(url, customers)
    rng = random.Random(7)
    ids = [rng.randrange(first, first + customers) for _ in range(sample_count)]
    callers = {cid: national_digits(main_phone(cid)) for cid in ids}  # as the PBX gives it: 07...

    async def lookup(cid: int) -> bool:
        async with database.hot() as connection:
            found = await find_matches(connection, to_e164(callers[cid], "KE") or "")
            return any(m.customer_id == cid for m in found)

    ring_lookup = StoreCallerLookup(database, region="KE", default_timezone="Africa/Nairobi")
    run = f"bench-{time.time_ns():x}"
    count = iter(range(10**9))

    async def ring(cid: int) -> bool:
        now = utcnow()
        found = await ring_lookup.matches_for_call(to_e164(callers[cid], "KE") or "", agent_id=agent_id,
                                                   call_id=f"{run}.{next(count)}", rang_at=now, until=now)
        return any(m.customer_id == cid for m in found)

    phone_ms, phone_miss = await timed(ids, lookup)
    ring_ms, ring_miss = await timed(ids, ring)
    await database.dispose()

    config_dir = workdir / f"config-{name}"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    settings = Settings(env="test", database_url=url, secret_key=SecretStr("bench-" + "k" * 40),
                        config_dir=config_dir, attachments_dir=workdir / "attachments", redis_url=None)
    services = build_services(settings)
    await services.start()
    app = create_app(settings, services, components=[])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            login = await client.post("/api/auth/login",
                                      json={"username": SUPERVISOR[0], "password": SUPERVISOR[1]})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['token']}"}

            async def record(cid: int) -> bool:
                reply = await client.get(f"/api/customers/{cid}", headers=headers)
                return reply.status_code == 200

            api_ms, api_miss = await timed(ids, record)
    finally:
        await services.close()

    def line(what: str, values: list[float], misses: int) -> str:
        return (f"{name:<9} {what:<31} {len(values):>7,} {statistics.median(values):>8.2f} "
                f"{pct(values, 99):>8.2f} {max(values):>8.2f} {misses:>6}")

    built = f"built in {build_s:.0f} s" if build_s else "reused"
    return [f"{name:<9} {customers:,} customers ({built})",
            line("phone lookup (POP_QUERY)", phone_ms, phone_miss),
            line("pop's ring (lookup+grant+link)", ring_ms, ring_miss),
            line("GET /api/customers/{id}", api_ms, api_miss)]


def _remove_sqlite(path: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark databases first")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/switchboard-bench"))
    args = parser.parse_args()
    if not 1 <= args.samples <= 100_000 or not 1 <= args.customers <= 9_000_000:
        parser.error("--samples must be 1..100000 and --customers 1..9000000")
    args.workdir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    if args.backend in ("sqlite", "both"):
        path = args.workdir / f"lookup-{args.customers}.db"
        if args.rebuild:
            _remove_sqlite(path)
        lines += await bench_backend("sqlite", f"sqlite+aiosqlite:///{path}", args.customers, args.samples,
                                     args.workdir)
    if args.backend in ("postgres", "both"):
        lines += await bench_backend("postgres", await _pg_url(args.rebuild), args.customers, args.samples,
                                     args.workdir)
    print()
    print(f"{'backend':<9} {'operation':<31} {'samples':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'misses':>6}")
    for text in lines:
        print(text)
    print("goal: phone lookup p99 <= 5 ms")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}")


if __name__ == "__main__":
    asyncio.run(main())
