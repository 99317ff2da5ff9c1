"""SMS outbox benchmark: three figures, each with the real server (``switchboard serve`` as its own
process, SQLite by default) talking to fake providers (``python -m messaging.fakes``, processes of
their own) on loopback ports.

1. ``api``: ``POST /api/customers/{id}/messages`` at a fixed rate (open loop) while the fake
   Africa's Talking takes 2 s to answer each request: the 202's p50/p99 (goal: p99 <= 20 ms). The
   sender is saturated the whole time (32 sends in flight, 2 s each): the API must not wait on it.
2. ``drain``: N queued SMS written at once; the fake answers in 50 ms; the time until every one is
   ``sent`` gives SMS/s (goal: >= 200/s). The providers' rate limits are raised for this run (the
   default, 50/s per provider, would cap it): the figure is what the outbox can do.
3. ``failover``: Africa's Talking's process is stopped (its port refuses connections); a message
   is posted; the time from the 202 until it is ``sent`` through Infobip (goal: <= 2 s).

A bench compliance pack opens the hours for messages all week, so the figures do not depend on
the day (the Kenya pack sends nothing on Sundays).

    .venv/bin/python bench/sms_outbox.py [--rate 100] [--seconds 10] [--drain 3000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
SWITCHBOARD = str(Path(PYTHON).parent / "switchboard")

from sqlalchemy import func, select, update  # noqa: E402

from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import Customer, CustomerPhone, Message, Role, User  # noqa: E402
from store.repositories.users import hash_password  # noqa: E402

PACK = """name: bench
calling_hours:
  default: "00:00-24:00"
relations:
  collections: {allowed: [customer, guarantor, relationship_officer]}
  service: {allowed: [customer, guarantor, relationship_officer]}
messages:
  hours: {default: "00:00-24:00"}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None, ready_url: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` as a process of its own; its stderr goes to a file (a pipe nobody reads fills up
    after ~500 access-log lines and stops the server mid-run), whose end is shown when it fails."""
    merged = {key: value for key, value in {**os.environ, **(env or {})}.items() if value != ""}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(args, env=merged, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)

        def tail() -> str:
            errors.seek(0)
            return errors.read().decode(errors="replace")[-3000:]

        try:
            deadline = time.monotonic() + 30
            while ready_url is not None:
                try:
                    httpx.get(ready_url, timeout=0.5)
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{args[:3]} did not start: {tail()}") from None
                    time.sleep(0.1)
            try:
                yield proc
            except Exception:
                print(f"{args[:3]} said, last:\n{tail()}", file=sys.stderr)
                raise
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def fake(kind: str, port: int, latency: float) -> contextmanager:  # type: ignore[type-arg]
    return process([PYTHON, "-m", "messaging.fakes", "--kind", kind, "--port", str(port), "--latency", str(latency)],
                   {"PYTHONPATH": str(ROOT)}, ready_url=f"http://127.0.0.1:{port}/")


async def seed(url: str, customers: int) -> None:
    await upgrade_async(url)
    db = Database(make_engine(url))
    try:
        async with db.session() as session:
            session.add(User(username="bench", display_name="Bench Supervisor", role=Role.SUPERVISOR,
                             password_hash=hash_password("bench-pass-1"), queues=[], active=True))
            for n in range(customers):
                customer = Customer(name=f"Bench Customer {n}", name_lower=f"bench customer {n}",
                                    timezone="Africa/Nairobi")
                customer.phones = [CustomerPhone(e164=f"+2547{n:08d}", position=0)]
                session.add(customer)
    finally:
        await db.dispose()


async def queue_direct(url: str, count: int) -> None:
    db = Database(make_engine(url))
    now = datetime.now(UTC)
    try:
        async with db.session() as session:
            ids = (await session.scalars(select(Customer.id).order_by(Customer.id))).all()
            session.add_all([Message(customer_id=ids[n % len(ids)], direction="outbound", channel="sms",
                                     to_address=f"+2547{n % len(ids):08d}", body=f"drain {n}", status="queued",
                                     segments=1, encoding="GSM-7", not_before=now, created_at=now, updated_at=now,
                                     attachment_ids=[]) for n in range(count)])
    finally:
        await db.dispose()


async def count_status(url: str, status: str) -> int:
    db = Database(make_engine(url))
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).where(Message.status == status)) or 0)
    finally:
        await db.dispose()


def server_env(root: Path, url: str, port: int, at_port: int, ib_port: int, rate: int) -> dict[str, str]:
    return {
        "PYTHONPATH": str(ROOT), "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_ENV": "test",
        "SWITCHBOARD_SECRET_KEY": "bench-secret-" + "k" * 40, "SWITCHBOARD_COMPLIANCE_PACK": str(root / "bench.yaml"),
        "SWITCHBOARD_DIALER__ENABLED": "false", "SWITCHBOARD_REDIS_URL": "", "SWITCHBOARD_CONFIG_DIR": str(root / "config"),
        "SWITCHBOARD_SMS__PROVIDERS": '["africastalking","infobip"]',
        "SWITCHBOARD_SMS__AFRICASTALKING__USERNAME": "sandbox", "SWITCHBOARD_SMS__AFRICASTALKING__API_KEY": "fake-key",
        "SWITCHBOARD_SMS__AFRICASTALKING__BASE_URL": f"http://127.0.0.1:{at_port}",
        "SWITCHBOARD_SMS__AFRICASTALKING__RATE_PER_SECOND": str(rate),
        "SWITCHBOARD_SMS__INFOBIP__API_KEY": "fake-key", "SWITCHBOARD_SMS__INFOBIP__BASE_URL": f"http://127.0.0.1:{ib_port}",
        "SWITCHBOARD_SMS__INFOBIP__RATE_PER_SECOND": str(rate), "SWITCHBOARD_SMS__REQUEST_TIMEOUT": "10",
        "SWITCHBOARD_SMS__WEBHOOK_TOKEN": "bench", "SWITCHBOARD_GC_TUNING": "true",
    }


def serve(env: dict[str, str], port: int) -> contextmanager:  # type: ignore[type-arg]
    return process([SWITCHBOARD, "serve", "--host", "127.0.0.1", "--port", str(port)], env,
                   ready_url=f"http://127.0.0.1:{port}/api/health")


async def login(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        token = (await client.post("/api/auth/login", json={"username": "bench", "password": "bench-pass-1"})).json()
    return {"Authorization": f"Bearer {token['token']}"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process ``pid`` so far (from /proc, in clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_api(base: str, rate: float, seconds: float, server_pid: int) -> None:
    headers = await login(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=httpx.Limits(max_connections=200),
                                 timeout=10) as client:
        async def one(n: int) -> None:
            started = time.perf_counter()
            response = await client.post(f"/api/customers/{n % 50 + 1}/messages",
                                         json={"channel": "sms", "body": f"bench message {n}"})
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        for n in range(20):  # untimed warm-up
            await one(n)
        latencies.clear()
        statuses.clear()
        tasks = []
        cpu_from = cpu_seconds(server_pid)
        start = time.perf_counter()
        total = int(rate * seconds)
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n + 100)))
        await asyncio.gather(*tasks)
        cpu = cpu_seconds(server_pid) - cpu_from
    print(f"api: {total} POSTs at {rate:.0f}/s while the provider takes 2 s per request: statuses {statuses}; "
          f"p50 {statistics.median(latencies):.1f} ms, p90 {pct(latencies, 0.9):.1f} ms, "
          f"p99 {pct(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms (goal p99 <= 20 ms); "
          f"server CPU {cpu * 1000 / total:.2f} ms per POST (sender's work included)")


async def settle_leftovers(url: str) -> None:
    """Messages the api run left queued (the 2 s provider could not keep up) are not this run's."""
    db = Database(make_engine(url))
    try:
        async with db.session() as session:
            await session.execute(update(Message).where(Message.status.in_(["queued", "sending"]))
                                  .values(status="failed", reason="left by the api run"))
    finally:
        await db.dispose()


async def bench_drain(url: str, count: int) -> None:
    before = await count_status(url, "sent")
    await queue_direct(url, count)
    start = time.perf_counter()
    deadline = start + 120
    sent = 0
    while time.perf_counter() < deadline:
        sent = await count_status(url, "sent") - before
        if sent >= count:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    print(f"drain: {sent} of {count} SMS sent in {elapsed:.2f} s with 50 ms provider latency: "
          f"{sent / elapsed:.0f} SMS/s (goal >= 200/s)")


async def bench_failover(base: str, tries: int) -> None:
    headers = await login(base)
    times = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        for n in range(tries):
            started = time.perf_counter()
            response = await client.post("/api/customers/1/messages", json={"channel": "sms", "body": f"after {n}"})
            message_id = response.json()["id"]
            while time.perf_counter() - started < 10:
                items = (await client.get("/api/customers/1/messages?limit=5")).json()["items"]
                item = next(i for i in items if i["id"] == message_id)
                if item["status"] not in ("queued", "sending"):
                    break
                await asyncio.sleep(0.01)
            times.append(time.perf_counter() - started)
            assert item["status"] == "sent" and item["provider"] == "infobip", item
    print(f"failover: Africa's Talking down (connection refused); {tries} messages sent through Infobip, "
          f"the first in {times[0] * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms (goal <= 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="POSTs per second in the api run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--drain", type=int, default=3000, help="SMS queued at once in the drain run")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--only", choices=["api", "drain", "failover"], help="run one of the three")
    parser.add_argument("--no-sender", action="store_true",
                        help="the api run without the sender in the server (what the sender costs the API)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    (root / "bench.yaml").write_text(PACK)
    shutil.copytree(ROOT / "config" / "defaults", root / "config")
    url = args.database_url or f"sqlite+aiosqlite:///{root / 'bench.db'}"
    asyncio.run(seed(url, 50))
    print(f"database: {url.split('://')[0]}; cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.1f}")
    try:
        port, at_port, ib_port = free_port(), free_port(), free_port()
        env = server_env(root, url, port, at_port, ib_port, rate=5000)
        base = f"http://127.0.0.1:{port}"
        if args.only in (None, "api"):
            api_env = {**env, "SWITCHBOARD_SMS__SENDER_ENABLED": "false"} if args.no_sender else env
            with fake("africastalking", at_port, 2.0), fake("infobip", ib_port, 0.05), serve(api_env, port) as server:
                asyncio.run(bench_api(base, args.rate, args.seconds, server.pid))
            asyncio.run(settle_leftovers(url))
        if args.only in (None, "drain"):
            with fake("africastalking", at_port, 0.05), fake("infobip", ib_port, 0.05), serve(env, port):
                asyncio.run(bench_drain(url, args.drain))
        if args.only not in (None, "failover"):
            return
        with fake("infobip", ib_port, 0.05), serve(env, port):
            with fake("africastalking", at_port, 0.05):
                pass  # it was up; now its port refuses connections
            asyncio.run(bench_failover(base, 5))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
