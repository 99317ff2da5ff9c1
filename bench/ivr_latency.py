"""IVR latency: how long the IVR takes to answer a caller's key, on Asterisk (FastAGI) and Twilio (TwiML).

Both against a real server process (``python -m agent_ui.cli serve``) on PostgreSQL (a fresh
database ``sb_bench_ivr``, dropped at the end; or ``--database-url``, migrated, empty), with the
demo's customers, loopback only, bounded in count and time.

``pbx``    On the loopback test PBX (pbx/pbx.sh; started with this checkout's configuration and
           the prompts rendered; the machine's PBX lock is held for the run): ``--calls`` (50)
           sipp callers at once, each a different demo customer calling from their own number,
           walk the menu with SIP INFO keys: the language, the four digits of their ID, the
           balance, a promise (amount, date, confirm), then hang up. Latency = from Asterisk's
           ``DTMFEnd`` for a key to its ``AGIExecStart`` of the IVR's next command on that
           channel, both stamped by Asterisk (AMI ``timestampevents``). Goal: p99 <= 20 ms.
``twiml``  Signed Twilio requests at ``--rate`` (200) a second for ``--seconds`` (30), open loop:
           callers walk the same menu over ``POST /twilio/voice?ivr=main`` and ``/twilio/ivr``
           (language, ID, balance, callback, agent), each request timed from its send to the whole
           TwiML answer. Goal: p99 <= 20 ms at 200 requests/s. ``--servers N`` (1) runs N server
           processes on the same database with the Redis bus (``--redis-url``, database 15 of the
           loopback Redis, flushed first) and sends each request to the next one in turn, as a load
           balancer in front of several workers does; the server CPU is their sum.

    .venv/bin/python bench/ivr_latency.py [pbx|twiml|all] [--calls 50] [--rate 200] [--seconds 30]
        [--servers 1] [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.stats import pct  # noqa: E402
from domain.phone import national_digits  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import Customer, CustomerPhone  # noqa: E402
from store.seed.demo import load_demo  # noqa: E402
from tests.cti_pbx.support import ami_env  # noqa: E402
from tests.cti_pbx.workers import ServerProcess  # noqa: E402
from tests.pbx.harness import PBX_SH, Pbx  # noqa: E402
from tests.pbx.record_ami import AmiConn  # noqa: E402

PG_ADMIN = os.environ.get("SWITCHBOARD_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "sb_bench_ivr"
SECRET = "ivr-bench-" + "k" * 40
LOCK_PATH = "/run/switchboard-pbx.lock"
DID = "0800123458"
PUBLIC_URL = "https://switchboard.bench.invalid"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "b" * 32


def summary(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label}: no samples"
    return (f"{label}: n={len(ms)} p50={pct(ms, 50):.2f} ms p90={pct(ms, 90):.2f} ms p99={pct(ms, 99):.2f} ms "
            f"max={max(ms):.2f} ms mean={statistics.fmean(ms):.2f} ms")


@contextlib.asynccontextmanager
async def bench_database(url: str | None, customers: int) -> AsyncIterator[tuple[str, list[tuple[str, str]]]]:
    """A migrated database with ``customers`` demo customers; yields the URL and, per customer,
    (their phone in national form, the last four digits of their ID)."""
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
        await load_demo(database, customers)
        async with database.session() as session:
            rows = (await session.execute(
                select(CustomerPhone.e164, Customer.government_id).join(Customer)
                .where(CustomerPhone.position == 0).order_by(Customer.id))).all()
        yield url, [(national_digits(e164), "".join(c for c in gov or "" if c.isdigit())[-4:]) for e164, gov in rows]
    finally:
        await database.dispose()
        if own:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            await admin.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (from /proc; clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def flush_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {"SWITCHBOARD_DATABASE_URL": database_url, "SWITCHBOARD_SECRET_KEY": SECRET, "SWITCHBOARD_ENV": "test",
            "SWITCHBOARD_DIALER__ENABLED": "false", **extra}


# -- (a) the real PBX --------------------------------------------------------------------------------
_INFO = """  <send retrans="500"><![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={key}
      Duration=120
    ]]></send>
  <recv response="200"/>
"""
_DIALOG = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="ivr latency caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=customer 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=sendrecv
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
{middle}  <send retrans="500"><![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {bye} BYE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def caller_scenario(ddmm: str) -> str:
    """Language 1, the ID's four digits (CSV fields 1-4), balance, promise 100 on ``ddmm``, hang up."""
    walk: list[str | int] = [1500, "1", 900, "[field1]", 350, "[field2]", 350, "[field3]", 350, "[field4]", 900, "1",
                             1200, "2", 900, "1", 350, "0", 350, "0", 350, "#", 900, *_keys(ddmm), 900, "1", 1500]
    parts, cseq = [], 1
    for step in walk:
        if isinstance(step, int):
            parts.append(f'  <pause milliseconds="{step}"/>\n')
        else:
            cseq += 1
            parts.append(_INFO.format(cseq=cseq, key=step))
    return _DIALOG.format(middle="".join(parts), bye=cseq + 1)


def _keys(digits: str) -> list[str | int]:
    out: list[str | int] = []
    for index, key in enumerate(digits):
        out += ([350] if index else []) + [key]
    return out


@contextlib.contextmanager
def pbx_lock() -> Iterator[None]:
    with open(LOCK_PATH, "w") as lock:
        print("pbx: waiting for the machine's PBX lock ...", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def latencies_from(messages: list[dict[str, str]]) -> list[float]:
    """Per channel: each received key's DTMFEnd to the next AGIExecStart (Asterisk's timestamps)."""
    pending: dict[str, float] = {}
    out: list[float] = []
    for m in messages:
        event, channel = m.get("Event"), m.get("Channel", "")
        if event == "DTMFEnd" and m.get("Direction") == "Received":
            pending[channel] = float(m["Timestamp"])
        elif event == "AGIExecStart" and channel in pending:
            out.append((float(m["Timestamp"]) - pending.pop(channel)) * 1000)
    return out


async def bench_pbx(args: argparse.Namespace) -> None:
    with pbx_lock():
        pbx = Pbx()
        await asyncio.to_thread(pbx.start)  # restarts it with this checkout's files if they differ
        env = {**os.environ, "SWITCHBOARD_PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
        await asyncio.to_thread(subprocess.run, ["bash", str(PBX_SH), "prompts"], env=env, check=True)
        await asyncio.to_thread(pbx.reset)
        today = datetime.now(ZoneInfo("Africa/Nairobi")).date()
        async with bench_database(args.database_url, args.calls) as (url, callers):
            with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
                server = ServerProcess("bench-ivr", server_env(url, **ami_env(), SWITCHBOARD_IVR__AGI_PORT="4573"),
                                       Path(tmp), cli=True).start()
                ami = AmiConn()
                sipp: asyncio.subprocess.Process | None = None
                try:
                    await server.wait_up()
                    await ami.connect()
                    await ami.login("switchboard-ivr", "switchboard-ivr-test")
                    csv = Path(tmp) / "callers.csv"
                    csv.write_text("SEQUENTIAL\n" + "".join(f"{phone};{';'.join(last4)}\n" for phone, last4 in callers))
                    scenario = Path(tmp) / "ivr_caller.xml"
                    scenario.write_text(caller_scenario((today + timedelta(days=5)).strftime("%d%m")))
                    cmd = ["sipp", "127.0.0.1:5060", "-sf", str(scenario), "-inf", str(csv), "-s", DID,
                           "-i", "127.0.0.1", "-p", "5070", "-mi", "127.0.0.1", "-mp", "15070",
                           "-m", str(args.calls), "-l", str(args.calls), "-r", str(args.calls), "-rp", "1000",
                           "-timeout", "180s", "-nostdin", "-trace_err", "-error_file", str(Path(tmp) / "errors.log")]
                    started = time.monotonic()
                    sipp = await asyncio.create_subprocess_exec(
                        *cmd, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
                    while sipp.returncode is None and time.monotonic() - started < 200:
                        with contextlib.suppress(TimeoutError):
                            await ami.read_message(within=1)
                    with contextlib.suppress(TimeoutError):
                        await ami.drain(1.0)
                    rc = sipp.returncode
                    print(f"pbx: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
                    ms = latencies_from(ami.messages)
                    print(f"pbx: {args.calls} concurrent IVR calls, sipp rc={rc} "
                          f"({'every call completed' if rc == 0 else 'see ' + str(Path(tmp) / 'errors.log')})")
                    print("pbx: " + summary("caller's key (DTMFEnd) -> the IVR's next command (AGIExecStart)", ms))
                    if ms:
                        print(f"pbx: goal p99 <= 20 ms: {'met' if pct(ms, 99) <= 20 else 'NOT met'}")
                finally:
                    if sipp is not None and sipp.returncode is None:
                        sipp.kill()
                        await sipp.wait()
                    await ami.close()
                    server.stop()
        await asyncio.to_thread(pbx.reset)


# -- (b) TwiML ----------------------------------------------------------------------------------------
async def bench_twiml(args: argparse.Namespace) -> None:
    import xml.etree.ElementTree as ET

    import aiohttp

    from cti.twilio.signature import compute_signature

    total = int(args.rate * args.seconds)
    async with bench_database(args.database_url, 200) as (url, callers):
        with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
            env = server_env(url, SWITCHBOARD_TWILIO__ACCOUNT_SID=ACCOUNT_SID, SWITCHBOARD_TWILIO__AUTH_TOKEN=AUTH_TOKEN,
                             SWITCHBOARD_TWILIO__CALLER_ID="+254709000000", SWITCHBOARD_PUBLIC_URL=PUBLIC_URL,
                             SWITCHBOARD_TWILIO__API_BASE="http://127.0.0.1:9")
            if args.servers > 1:
                await flush_redis(args.redis_url)
                env["SWITCHBOARD_REDIS_URL"] = args.redis_url
            servers = [ServerProcess(f"bench-twiml-{n}", env, Path(tmp), cli=True).start()
                       for n in range(args.servers)]
            latencies: list[float] = []
            errors = 0
            max_late = 0.0
            server_cpu = 0.0
            sent = 0
            try:
                for server in servers:
                    await server.wait_up()
                slots = asyncio.Queue[float]()
                t0 = time.perf_counter() + 1.0
                for i in range(total):
                    slots.put_nowait(t0 + i / args.rate)

                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512)) as session:
                    async def post(public: str, form: dict[str, str]) -> str | None:
                        nonlocal errors, max_late, sent
                        try:
                            due = slots.get_nowait()
                        except asyncio.QueueEmpty:
                            return None
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        start = time.perf_counter()
                        max_late = max(max_late, start - due)
                        headers = {"X-Twilio-Signature": compute_signature(public, form, AUTH_TOKEN)}
                        base = servers[sent % len(servers)].base_url
                        sent += 1
                        try:
                            async with session.post(base + public[len(PUBLIC_URL):], data=form, headers=headers) as r:
                                body = await r.text()
                        except aiohttp.ClientError:
                            errors += 1
                            return None
                        if r.status != 200:
                            errors += 1
                            if errors == 1:
                                print(f"first error: HTTP {r.status}: {body[:300]}")
                            return None
                        latencies.append((time.perf_counter() - start) * 1000)
                        return body

                    async def caller(n: int) -> None:
                        phone, last4 = callers[n % len(callers)]
                        form = {"AccountSid": ACCOUNT_SID, "CallSid": f"CA{n + 1:032x}", "CallStatus": "in-progress",
                                "From": phone, "To": "+254709000000", "Direction": "inbound"}
                        body = await post(f"{PUBLIC_URL}/twilio/voice?ivr=main", form)
                        for digits in ("1", last4, "1", "3", "0"):
                            if body is None:
                                return
                            gather = ET.fromstring(body).find("Gather")
                            if gather is None:
                                return
                            body = await post(gather.attrib["action"], {**form, "Digits": digits})

                    cpu_before = sum(cpu_seconds(server.pid) for server in servers)
                    calls = [asyncio.create_task(caller(n)) for n in range(total // 6 + 1)]
                    await asyncio.gather(*calls)
                    server_cpu = sum(cpu_seconds(server.pid) for server in servers) - cpu_before
                if errors:
                    for server in servers:
                        print(server.log(60))
            finally:
                for server in servers:
                    server.stop()
    print(f"twiml: signed IVR requests, {args.rate:.0f}/s for {args.seconds:.0f} s (open loop) to "
          f"{args.servers} server process{'es' if args.servers > 1 else ''}: "
          f"{len(latencies)} ok, {errors} errors; client send lateness max {max_late * 1000:.1f} ms")
    print("twiml: " + summary("request -> the whole TwiML answer", latencies))
    if latencies:
        print(f"twiml: server CPU {server_cpu * 1000 / len(latencies):.2f} ms per request; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if latencies:
        print(f"twiml: goal p99 <= 20 ms at {args.rate:.0f} req/s: {'met' if pct(latencies, 99) <= 20 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=["pbx", "twiml", "all"], default="all")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--servers", type=int, default=1, help="server processes for twiml (Redis bus when > 1)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    args.servers = max(1, min(args.servers, 4))
    args.calls, args.rate, args.seconds = min(args.calls, 200), min(args.rate, 1000.0), min(args.seconds, 120.0)
    if args.what in ("twiml", "all"):
        asyncio.run(bench_twiml(args))
    if args.what in ("pbx", "all"):
        asyncio.run(bench_pbx(args))


if __name__ == "__main__":
    main()
