"""Work-list benchmark (issue 15 item 10): 100,000 customers; p50/p99 of one page of
``GET /api/customers`` for every sort, on SQLite and PostgreSQL.

For each backend it migrates a benchmark database, fills it with ``store.seed.bulk.build_bulk`` (reused on
later runs when already full), gives every customer a work summary (overdue amount, days past due,
risk, last contact, next action, promise state; one in five never contacted, two in five without a next
action) and spreads them over 50 agents. Then, through the real app over httpx's ASGI transport (sign-in,
audit row and all), it times random pages among the first ten for each sort in both directions:
as a supervisor (all 100,000) and as an agent (their 2,000), and a few filtered views.

Bounded: at most 200,000 customers, 500 pages per view, MAX_PHASE_SECONDS per view; PostgreSQL only on
the loopback. Single process, one request at a time. Goal: p99 <= 50 ms per page.

    .venv/bin/python bench/work_list.py [--customers 100000] [--backend sqlite|postgres|both]
                                        [--pages 100] [--rebuild] [--workdir /tmp/switchboard-bench]

PostgreSQL: database ``sb_bench_work_list`` on SWITCHBOARD_BENCH_PG_ADMIN
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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import bindparam, func, select, update  # noqa: E402

from agent_ui.app import create_app  # noqa: E402
from agent_ui.services import build_services  # noqa: E402
from bench.stats import pct  # noqa: E402
from config.settings import CONFIG_DIR, Settings  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import Customer, User  # noqa: E402
from store.repositories.users import UserRepository  # noqa: E402
from store.seed.bulk import build_bulk  # noqa: E402

PG_ADMIN = os.environ.get("SWITCHBOARD_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = "sb_bench_work_list"
SUPERVISOR = ("bench-supervisor", "bench-supervisor-pass")
AGENTS = 50
AGENT_PASSWORD = "bench-agent-pass"
MAX_PHASE_SECONDS = 60.0
PAGE = 20
SORTS = ("name", "overdue_amount", "days_past_due", "risk", "last_contact", "next_action", "promise_state")
FILTERED = ({"min_overdue": "1000", "sort": "-days_past_due"}, {"promise_state": "broken", "sort": "-overdue_amount"},
            {"next_action": "due", "sort": "next_action"}, {"not_contacted_days": "30", "sort": "-risk"})
STATES = ("none", "none", "pending", "kept", "broken", "cancelled")


async def _pg_url(rebuild: bool) -> str:
    if urlsplit(PG_ADMIN).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark runs on a loopback PostgreSQL only")
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        if rebuild:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_NAME):
            await conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{PG_NAME}"


def _summary(rng: random.Random, cid: int, agents: list[int], now: datetime) -> dict[str, Any]:
    contacted = rng.random() >= 0.2
    planned = rng.random() >= 0.4
    return {"cid": cid, "agent": agents[cid % len(agents)], "risk": round(rng.random(), 3),
            "overdue": Decimal(rng.choice((0, rng.randrange(100, 500_000)))) / 100 * 100,
            "dpd": rng.choice((0, rng.randrange(1, 720))),
            "last": now - timedelta(minutes=rng.randrange(1, 200_000)) if contacted else None,
            "next": now + timedelta(minutes=rng.randrange(-20_000, 40_000)) if planned else None,
            "kind": rng.choice(("follow_up", "callback")) if planned else None, "promise": rng.choice(STATES)}


async def prepare(url: str, customers: int) -> tuple[Database, float]:
    """Migrate, fill and summarise; returns the database and the build time (0: reused)."""
    await upgrade_async(url)
    database = Database(make_engine(url))
    async with database.session() as s:
        users = UserRepository(s)
        if await users.get(SUPERVISOR[0]) is None:
            await users.create(SUPERVISOR[0], SUPERVISOR[1], "supervisor")
        for n in range(AGENTS):
            if await users.get(f"bench-agent-{n}") is None:
                await users.create(f"bench-agent-{n}", AGENT_PASSWORD, "agent")
    async with database.session() as s:
        have = await s.scalar(select(func.count()).select_from(Customer)) or 0
        agents = list((await s.scalars(select(User.id).where(User.username.like("bench-agent-%"))
                                       .order_by(User.id))).all())
    if have >= customers:
        return database, 0.0
    started = time.perf_counter()
    first = await build_bulk(database, customers - have, batch=50_000)
    rng, now = random.Random(11), datetime.now(UTC)
    statement = (update(Customer).where(Customer.id == bindparam("cid")).values(
        assigned_agent_id=bindparam("agent"), risk_score=bindparam("risk"), overdue_amount=bindparam("overdue"),
        days_past_due=bindparam("dpd"), last_contact_at=bindparam("last"), next_action_at=bindparam("next"),
        next_action_kind=bindparam("kind"), promise_state=bindparam("promise"))
        .execution_options(synchronize_session=False))
    for start in range(first, first + customers - have, 10_000):
        rows = [_summary(rng, cid, agents, now) for cid in range(start, min(start + 10_000, first + customers - have))]
        async with database.session() as s:
            await (await s.connection()).execute(statement, rows)
        print(f"  summarised {start - first + len(rows):,}/{customers - have:,}", flush=True)
    if database.engine.url.get_backend_name() == "postgresql":
        dsn = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
    else:
        async with database.session() as s:
            await (await s.connection()).exec_driver_sql("ANALYZE")
    return database, time.perf_counter() - started


def _views() -> list[tuple[str, str, dict[str, str]]]:
    """(label, who, params): every sort both ways as supervisor and as agent, then the filtered views."""
    views = []
    for who in ("supervisor", "agent"):
        for sort in SORTS:
            for direction in ("", "-"):
                views.append((f"{who:<10} sort={direction}{sort}", who, {"sort": direction + sort}))
    for params in FILTERED:
        views.append(("supervisor " + " ".join(f"{k}={v}" for k, v in params.items()), "supervisor", params))
    return views


async def bench_backend(name: str, url: str, customers: int, pages: int, workdir: Path) -> list[str]:
    print(f"[{name}] preparing {customers:,} customers ...", flush=True)
    database, build_s = await prepare(url, customers)
    await database.dispose()
    config_dir = workdir / f"config-work-{name}"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    settings = Settings(env="test", database_url=url, secret_key=SecretStr("bench-" + "k" * 40),
                        config_dir=config_dir, attachments_dir=workdir / "attachments", redis_url=None)
    services = build_services(settings)
    await services.start()
    app = create_app(settings, services, components=[])
    lines = [f"{name:<9} {customers:,} customers ({f'built in {build_s:.0f} s' if build_s else 'reused'})"]
    rng = random.Random(3)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            headers = {}
            for who, (user, password) in (("supervisor", SUPERVISOR), ("agent", ("bench-agent-7", AGENT_PASSWORD))):
                login = await client.post("/api/auth/login", json={"username": user, "password": password})
                login.raise_for_status()
                headers[who] = {"Authorization": f"Bearer {login.json()['token']}"}
            for label, who, params in _views():
                async def page(offset: int, who: str = who, params: dict[str, str] = params) -> int:
                    reply = await client.get("/api/customers", headers=headers[who],
                                             params={**params, "limit": str(PAGE), "offset": str(offset)})
                    reply.raise_for_status()
                    return len(reply.json()["items"])
                for _ in range(5):  # warm-up
                    await page(0)
                times: list[float] = []
                empty = 0
                deadline = time.monotonic() + MAX_PHASE_SECONDS
                for _ in range(pages):
                    offset = rng.randrange(10) * PAGE
                    started = time.perf_counter()
                    empty += await page(offset) == 0
                    times.append((time.perf_counter() - started) * 1000)
                    if time.monotonic() > deadline:
                        break
                lines.append(f"{name:<9} {label:<58} {len(times):>5} {statistics.median(times):>7.2f} "
                             f"{pct(times, 99):>7.2f} {max(times):>7.2f} {empty:>5}")
                print(lines[-1], flush=True)
    finally:
        await services.close()
    return lines


def _remove_sqlite(path: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pages", type=int, default=100, help="timed pages per view")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark databases first")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/switchboard-bench"))
    args = parser.parse_args()
    if not 1 <= args.pages <= 500 or not AGENTS <= args.customers <= 200_000:
        parser.error(f"--pages must be 1..500 and --customers {AGENTS}..200000")
    args.workdir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    if args.backend in ("sqlite", "both"):
        path = args.workdir / f"work-list-{args.customers}.db"
        if args.rebuild:
            _remove_sqlite(path)
        lines += await bench_backend("sqlite", f"sqlite+aiosqlite:///{path}", args.customers, args.pages,
                                     args.workdir)
    if args.backend in ("postgres", "both"):
        lines += await bench_backend("postgres", await _pg_url(args.rebuild), args.customers, args.pages,
                                     args.workdir)
    print()
    print(f"{'backend':<9} {'view':<58} {'pages':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'empty':>5}")
    for text in lines:
        print(text)
    print(f"goal: p99 <= 50 ms per page of {PAGE}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}")


if __name__ == "__main__":
    asyncio.run(main())
