"""Dialer claim benchmark: 1,000,000 queued call tasks, claimed by the dialer's own claim statement.

For each backend (PostgreSQL, SQLite):

1. load N queued tasks (PostgreSQL: COPY; SQLite: executemany in 100k batches), random priorities
   and eligible times, one campaign, 2,000 customers;
2. one worker claims ``--single`` tasks one after another: per-claim latency p50/p99 (a claim is
   one transaction: BEGIN, the UPDATE ... WHERE id = (SELECT ... [FOR UPDATE SKIP LOCKED]) RETURNING,
   COMMIT, through SQLAlchemy's async engine, as the dialer runs it);
3. ``--workers`` workers (``--mode processes``: each its own process, event loop and connection,
   as separate dialer workers; ``--mode asyncio``: tasks of one event loop, each its own
   connection) claim ``--claims`` tasks in all: claims per second, latency p50/p99 under contention, and double
   claims (ids returned twice, and rows whose reserved_by disagrees with the winner).

Goals: p99 <= 5 ms, >= 500 claims/s with 4 workers, 0 double claims. Bounded: every phase stops at
its count or at ``--max-seconds``.

    .venv/bin/python bench/dialer_pick.py [--tasks 1000000] [--claims 10000] [--single 2000]
        [--workers 4] [--backends postgres,sqlite] [--pg-admin postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from dialer.claim import claim_next  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.models import Base  # noqa: E402

NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
BENCH_DB = "sb_dialer_bench"
CUSTOMERS = 2000
CAMPAIGN_ID = 1


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _task_rows(n: int, seed: int = 1) -> Any:
    rng = random.Random(seed)
    for _ in range(n):
        yield (rng.randint(1, CUSTOMERS), CAMPAIGN_ID, "late", "rule", rng.random(), "QUEUED", 0,
               NOW - timedelta(seconds=rng.randint(0, 36_000)), NOW, NOW)


TASK_COLUMNS = ["customer_id", "campaign_id", "reason", "source", "priority", "status", "attempts",
                "next_eligible_at", "created_at", "updated_at"]


async def _schema(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(text("INSERT INTO campaigns (id, code, name, carrier, queue, active, created_at, updated_at) "
                                "VALUES (1, 'collections', 'Collections', 'asterisk', 'collections', true, :t, :t)"),
                           {"t": NOW})
        await conn.execute(text("INSERT INTO users (id, username, display_name, role, password_hash, queues, active, "
                                "created_at, updated_at) VALUES (:i, :u, :u, 'AGENT', 'x', '[]', true, :t, :t)"),
                           [{"i": i, "u": f"agent{i}", "t": NOW} for i in range(1, 9)])
        await conn.execute(text("INSERT INTO customers (id, name, name_lower, timezone, risk_score, do_not_call, "
                                "alt_contacts_consent, created_at, updated_at) VALUES (:i, :n, :n, 'Africa/Nairobi', "
                                "0.5, false, false, :t, :t)"),
                           [{"i": i, "n": f"customer {i}", "t": NOW} for i in range(1, CUSTOMERS + 1)])
    await engine.dispose()


async def load_postgres(admin_url: str, n: int) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await conn.close()
    dsn = admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    await _schema(url)
    conn = await asyncpg.connect(dsn)
    try:
        rows = _task_rows(n)
        left = n
        while left > 0:
            batch = [next(rows) for _ in range(min(100_000, left))]
            await conn.copy_records_to_table("call_tasks", records=batch, columns=TASK_COLUMNS)
            left -= len(batch)
        await conn.execute("VACUUM ANALYZE call_tasks")
    finally:
        await conn.close()
    return url


def load_sqlite(path: Path, n: int) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_schema(url))
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DateTime storage format (UTC, naive)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        rows = _task_rows(n)
        left = n
        placeholders = ", ".join("?" for _ in TASK_COLUMNS)
        while left > 0:
            batch = []
            for _ in range(min(100_000, left)):
                r = next(rows)
                batch.append((*r[:7], r[7].replace(tzinfo=None).strftime(fmt), r[8].replace(tzinfo=None).strftime(fmt),
                              r[9].replace(tzinfo=None).strftime(fmt)))
            conn.executemany(f"INSERT INTO call_tasks ({', '.join(TASK_COLUMNS)}) VALUES ({placeholders})", batch)
            left -= len(batch)
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()
    return url


async def _claims(url: str, agent_id: int, count: int, max_seconds: float) -> tuple[list[int], list[float], float, float]:
    database = Database(make_engine(url, pool_size=2) if url.startswith("postgresql") else make_engine(url))
    ids: list[int] = []
    latencies: list[float] = []
    async with database.session() as s:  # warm the connection
        await s.execute(text("SELECT 1"))
    started = time.perf_counter()
    deadline = started + max_seconds
    try:
        while len(ids) < count and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with database.session() as session:
                task_id = await claim_next(session, campaign_id=CAMPAIGN_ID, agent_id=agent_id, now=NOW)
            latencies.append(time.perf_counter() - t0)
            if task_id is None:
                break
            ids.append(task_id)
    finally:
        ended = time.perf_counter()
        await database.dispose()
    return ids, latencies, started, ended


def _worker(url: str, agent_id: int, count: int, max_seconds: float, start_at: float) -> tuple[list[int], list[float], float, float]:
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    result = asyncio.run(_claims(url, agent_id, count, max_seconds))
    ids, latencies, started, ended = result
    offset = time.time() - time.perf_counter()  # perf_counter is per process: report wall times
    return ids, latencies, started + offset, ended + offset


async def _reserved(url: str) -> dict[int, int]:
    """Reserved task id -> the agent the row names."""
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, reserved_by_id FROM call_tasks WHERE status = 'RESERVED'"))).all()
    await engine.dispose()
    return {int(task_id): int(agent) for task_id, agent in rows}


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    single_ids, single_lat, s0, s1 = asyncio.run(_claims(url, 1, args.single, args.max_seconds))
    per = args.claims // args.workers
    if args.mode == "processes":
        start_at = time.time() + 1.0
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(_worker, url, 2 + w, per, args.max_seconds, start_at)
                       for w in range(args.workers)]
            results = [f.result() for f in futures]
    else:
        async def together() -> list[tuple[list[int], list[float], float, float]]:
            return list(await asyncio.gather(*(_claims(url, 2 + w, per, args.max_seconds)
                                               for w in range(args.workers))))
        results = asyncio.run(together())
    ids = [i for r in results for i in r[0]]
    lat = [x for r in results for x in r[1]]
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    owners: dict[int, int] = dict.fromkeys(single_ids, 1)
    for w, r in enumerate(results):
        for task_id in r[0]:
            owners[task_id] = 2 + w
    rows = asyncio.run(_reserved(url))
    reserved = len(rows)
    disagree = sum(1 for task_id, agent in owners.items() if rows.get(task_id) != agent)
    doubles = ((len(ids) - len(set(ids))) + (len(single_ids) - len(set(single_ids)))
               + len(set(ids) & set(single_ids)) + disagree)
    return {
        "backend": name, "single_claims": len(single_ids),
        "single_p50_ms": _pct(single_lat, 0.50) * 1000, "single_p99_ms": _pct(single_lat, 0.99) * 1000,
        "single_per_s": len(single_ids) / (s1 - s0) if s1 > s0 else 0.0,
        "workers": f"{args.workers} {args.mode}", "claims": len(ids), "claims_per_s": len(ids) / wall if wall > 0 else 0.0,
        "p50_ms": _pct(lat, 0.50) * 1000, "p99_ms": _pct(lat, 0.99) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "double_claims": doubles, "reserved_rows": reserved, "expected_rows": len(ids) + len(single_ids),
    }


def report(r: dict[str, Any], load_s: float, tasks: int) -> None:
    ok = r["double_claims"] == 0 and r["reserved_rows"] == r["expected_rows"]
    print(f"\n== {r['backend']}: {tasks:,} queued tasks (loaded in {load_s:.1f} s)")
    print(f"  1 worker : {r['single_claims']:,} claims, p50 {r['single_p50_ms']:.2f} ms, "
          f"p99 {r['single_p99_ms']:.2f} ms, {r['single_per_s']:.0f} claims/s")
    print(f"  {r['workers']}: {r['claims']:,} claims, {r['claims_per_s']:.0f} claims/s, "
          f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms (under contention)")
    print(f"  double claims: {r['double_claims']}; reserved rows {r['reserved_rows']:,} "
          f"= claims {r['expected_rows']:,}: {'OK' if ok else 'MISMATCH'}")
    print(f"  goals: p99 <= 5 ms (1 worker): {'met' if r['single_p99_ms'] <= 5 else 'missed'}; "
          f">= 500 claims/s with {r['workers']}: {'met' if r['claims_per_s'] >= 500 else 'missed'}; "
          f"0 double claims: {'met' if r['double_claims'] == 0 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--mode", choices=("asyncio", "processes"), default="processes",
                        help="the workers: processes (separate dialer workers) or asyncio tasks in one process")
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--pg-admin", default=os.environ.get("SWITCHBOARD_TEST_PG_ADMIN",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        t0 = time.perf_counter()
        if backend == "postgres":
            url = asyncio.run(load_postgres(args.pg_admin, args.tasks))
            load_s = time.perf_counter() - t0
            report(run_backend("PostgreSQL (FOR UPDATE SKIP LOCKED)", url, args), load_s, args.tasks)
        elif backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="sb-dialer-bench-") as tmp:
                url = load_sqlite(Path(tmp) / "bench.db", args.tasks)
                load_s = time.perf_counter() - t0
                report(run_backend("SQLite (WAL, single writer)", url, args), load_s, args.tasks)
        else:
            raise SystemExit(f"unknown backend {backend!r}")


if __name__ == "__main__":
    main()
