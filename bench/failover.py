"""Failover: how long after ``kill -9`` of the AMI lease holder until the survivor takes over.

Two real server processes (``switchboard serve``, JSON logs, the default lease: 2 s renewed every
0.5 s) on PostgreSQL + Redis, against the loopback test PBX (pbx/pbx.sh; started if down and
stopped again; the PBX lock /run/switchboard-pbx.lock is held for the run). agent1 is ready, signed
in on the process that does not hold the lease, with a sipp phone that rings 1 s and answers. Each
of ``--kills`` (10) rounds:

1. SIGKILL the holder (nothing is released: its lease has to expire) and place a call from the
   demo customer at once;
2. time, from the kill: the lease held by the survivor (Redis, polled every 10 ms); the survivor's
   AMI resync done (its ``resynced`` log line); the call's ``call.ringing`` frame on agent1's socket;
3. let the call end, restart the killed process (it becomes the standby), move agent1's socket to it.

Prints each round and min / median / max of the three times (the goal: takeover <= 3 s, the next
call pops within 5 s of the kill).

    .venv/bin/python bench/failover.py [--kills 10] [--database-url postgresql+asyncpg://...]

Creates, migrates and drops the PostgreSQL database ``sb_bench_failover`` (with --database-url:
migrates that one, which must be empty); Redis database ``--redis-db`` (0) under a key prefix of
its own, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.seed.demo import load_demo  # noqa: E402
from tests.cti_pbx.support import AMINA_PHONE, AgentClient, ami_env, member_paused  # noqa: E402
from tests.cti_pbx.workers import ServerProcess  # noqa: E402
from tests.pbx.harness import DID_DIRECT, Pbx, agent_phone, customer_call  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "sb_bench_failover"
SECRET = "bench-failover-" + "k" * 32
PBX_LOCK = "/run/switchboard-pbx.lock"


@contextlib.asynccontextmanager
async def bench_database(url: str | None) -> AsyncIterator[tuple[str, Database]]:
    own = url is None
    if own:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
        await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{BENCH_DB}"
    assert url is not None
    await upgrade_async(url)
    database = Database(make_engine(url))
    try:
        yield url, database
    finally:
        await database.dispose()
        if own:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            await admin.close()


def logged_at(server: ServerProcess, after: float, logger: str, text: str) -> float | None:
    """The wall-clock time of the first JSON log line of ``logger`` containing ``text`` after ``after``."""
    for line in server.log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        at = datetime.fromisoformat(entry["ts"]).timestamp()
        if at > after and entry["logger"] == logger and text in entry["msg"]:
            return at
    return None


def stats(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no samples"
    return (f"{label}: n={len(values)} min={min(values):.2f} s median={statistics.median(values):.2f} s "
            f"max={max(values):.2f} s")


class Bench:
    def __init__(self, env: dict[str, str], log_dir: Path, redis: Redis, prefix: str) -> None:
        self.env, self.log_dir, self.redis, self.prefix = env, log_dir, redis, prefix
        self.servers: list[ServerProcess] = []
        self.generation = 0

    def spawn(self) -> ServerProcess:
        self.generation += 1
        server = ServerProcess(f"bench-w{self.generation}", self.env, self.log_dir, cli=True).start()
        self.servers.append(server)
        return server

    async def holder(self, within: float = 15.0) -> ServerProcess:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            name = await self.redis.get(f"{self.prefix}lease:ami:default")
            found = next((s for s in self.servers if s.alive() and s.name == name), None)
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError("no lease holder")

    def standby(self, holder: ServerProcess) -> ServerProcess:
        [other] = [s for s in self.servers if s.alive() and s is not holder]
        return other


async def agent_on(server: ServerProcess) -> AgentClient:
    agent = AgentClient("agent1", server.base_url, server.ws_url)
    await agent.login()
    await agent.connect()
    return agent


async def one_round(bench: Bench, n: int, agent: AgentClient) -> tuple[float, float | None, float]:
    holder = await bench.holder()
    survivor = bench.standby(holder)
    after = agent.frames[-1]["seq"]
    killed_wall, killed = time.time(), time.monotonic()
    await asyncio.to_thread(holder.kill)
    call = customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=2.0)
    try:
        lease_key = f"{bench.prefix}lease:ami:default"
        while await bench.redis.get(lease_key) != survivor.name:
            if time.monotonic() - killed > 30:
                raise AssertionError(f"round {n}: no takeover in 30 s\n{survivor.log()}")
            await asyncio.sleep(0.01)
        takeover = time.monotonic() - killed
        frame = await agent.wait_for(lambda f: f["type"] == "call.ringing" and f["seq"] > after, 30,
                                     f"round {n}: the pop")
        popped = time.monotonic() - killed
        await agent.wait("call.ended", frame["data"]["call_id"], within=20)
        await asyncio.to_thread(call.check, 20)
    finally:
        call.cleanup()
    resynced_at = logged_at(survivor, killed_wall, "cti.ami.bridge", "resynced")
    ready = None if resynced_at is None else resynced_at - killed_wall
    ready_text = "?" if ready is None else f"{ready:.2f}"
    print(f"kill {n:2d}: {holder.name} -> {survivor.name}: lease taken over after {takeover:.2f} s, "
          f"resynced after {ready_text} s, next call popped after {popped:.2f} s", flush=True)
    return takeover, ready, popped


async def run(args: argparse.Namespace) -> None:
    pbx = Pbx()
    was_running = pbx.is_running()
    if not was_running:
        await asyncio.to_thread(pbx.start)
    await asyncio.to_thread(pbx.reset)
    prefix = f"sbbench{secrets.token_hex(3)}:"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis = Redis.from_url(redis_url, decode_responses=True)
    phone = None
    takeovers: list[float] = []
    readies: list[float] = []
    pops: list[float] = []
    try:
        async with bench_database(args.database_url) as (url, database):
            await load_demo(database, 1)
            with tempfile.TemporaryDirectory(prefix="failover-bench-") as tmp:
                env = {**ami_env(), "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_REDIS_URL": redis_url,
                       "SWITCHBOARD_REDIS_PREFIX": prefix, "SWITCHBOARD_SECRET_KEY": SECRET,
                       "SWITCHBOARD_ENV": "test", "SWITCHBOARD_LOG_FORMAT": "json",
                       "SWITCHBOARD_DIALER__ENABLED": "false"}
                env.pop("SWITCHBOARD_AMI__LEASE_SECONDS")  # the defaults are what is measured
                bench = Bench(env, Path(tmp), redis, prefix)
                first, second = bench.spawn(), bench.spawn()
                await asyncio.gather(first.wait_up(), second.wait_up())
                phone = agent_phone(1001)
                agent = await agent_on(bench.standby(await bench.holder()))
                await agent.set_state("ready")
                await member_paused("PJSIP/1001", False, within=15)
                kept = Path(tempfile.gettempdir()) / "failover-bench-logs"
                try:
                    for n in range(1, args.kills + 1):
                        takeover, ready, popped = await one_round(bench, n, agent)
                        takeovers.append(takeover)
                        pops.append(popped)
                        if ready is not None:
                            readies.append(ready)
                        await agent.close()
                        restarted = bench.spawn()
                        await restarted.wait_up()
                        agent = await agent_on(restarted)  # the next round kills the current holder
                        await member_paused("PJSIP/1001", False, within=15)
                except BaseException:
                    shutil.rmtree(kept, ignore_errors=True)
                    shutil.copytree(tmp, kept)  # the servers' logs, for the failure
                    print(f"the servers' logs are in {kept}", flush=True)
                    raise
                finally:
                    await agent.close()
                    for server in bench.servers:
                        server.stop()
        print(stats("lease taken over after the kill", takeovers))
        print(stats("survivor resynced (AMI logged in, reconciled) after the kill", readies))
        print(stats("next call's pop after the kill", pops))
        print(f"goals: takeover <= 3 s ({'met' if takeovers and max(takeovers) <= 3 else 'NOT met'}), "
              f"pop <= 5 s after the kill ({'met' if pops and max(pops) <= 5 else 'NOT met'})")
    finally:
        if phone is not None:
            phone.cleanup()
        await asyncio.to_thread(pbx.reset)
        if not was_running:
            await asyncio.to_thread(pbx.stop)
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-db", type=int, default=0)
    args = parser.parse_args()
    args.kills = max(1, min(args.kills, 50))
    with open(PBX_LOCK, "w") as lock:  # one user of the machine's PBX at a time (as the tests)
        fcntl.flock(lock, fcntl.LOCK_EX)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
