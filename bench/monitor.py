"""Live monitoring latency: from the supervisor's Listen to the call's audio at their phone (issue 22).

On the loopback test PBX (pbx/pbx.sh; started if down and stopped again), against a real server
process (``switchboard serve``) whose AMI bridge is logged in: a sipp customer (440 Hz) calls the
collections queue and agent1's sipp phone (1000 Hz) answers. Then ``--tries`` (20) times, one at a
time: the supervisor (extension PJSIP/1004, a sipp phone that answers at once, its audio an RTP peer)
sends ``POST /api/monitor {"mode": "listen"}``; timed from just before the request to

* the API's 202 answer;
* the INVITE reaching the supervisor's phone (sipp's -trace_msg timestamp of the received INVITE);
* the first RTP packet at the supervisor's phone that carries the call's audio (the customer's or the
  agent's tone, by its Goertzel power): "audio flowing".

Each try is then stopped (``POST /api/monitor/{id}/stop``: the leg is hung up) before the next.
A real supervisor's phone rings until they pick up; that human time is not in these figures.
Each try is bounded (10 s), the whole run by ``--tries``. Prints p50/p99 of each.

    .venv/bin/python bench/monitor.py [--tries 20] [--database-url sqlite+aiosqlite:///...]

Uses a temporary SQLite database (migrated, demo data) unless ``--database-url`` names an empty one;
the in-process bus (one server process).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bench.stats import pct  # noqa: E402
from store.db import Database, make_engine  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import User  # noqa: E402
from store.seed.demo import load_demo  # noqa: E402
from tests.cti_pbx.support import AMINA_PHONE, AgentClient, ami_env, member_paused  # noqa: E402
from tests.cti_pbx.workers import ServerProcess  # noqa: E402
from tests.monitor_pbx.rig import AGENT_HZ, CUSTOMER_HZ, ToneParty, asterisk_port, uas  # noqa: E402
from tests.pbx.fixtures import LOCK_PATH  # noqa: E402
from tests.pbx.harness import DID_DIRECT, Pbx, SippPhone  # noqa: E402
from tests.phone_pbx.rtp_peer import PT_PCMU, ULAW, goertzel  # noqa: E402

SUPERVISOR_EXT = 1004
AUDIO = 20.0  # Goertzel power x 1e4 of a tone in one packet that counts as audio (a tone measures ~180)
TRY_SECONDS = 10.0


def summary(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label}: no samples"
    return (f"{label}: n={len(ms)} p50={pct(ms, 50):.0f} ms p99={pct(ms, 99):.0f} ms "
            f"min={min(ms):.0f} ms max={max(ms):.0f} ms mean={statistics.fmean(ms):.0f} ms")


def invite_received_at(messages: str) -> float | None:
    """The wall-clock time sipp logged the first INVITE it received (its -trace_msg block header)."""
    stamp = None
    for line in messages.splitlines():
        if line.startswith("-----------------------------------------------"):
            stamp = line.rsplit(" ", 2)[-2:]
        elif line.startswith("INVITE sip:") and stamp is not None:
            return datetime.strptime(" ".join(stamp), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return None


def first_audio(party: ToneParty, since: float) -> float | None:
    for packet in party.since(since, pt=PT_PCMU):
        samples = [ULAW[b] for b in packet.payload]
        if 1e4 * max(goertzel(samples, CUSTOMER_HZ), goertzel(samples, AGENT_HZ)) >= AUDIO:
            return packet.t
    return None


async def one_try(client: httpx.AsyncClient, headers: dict[str, str], call_id: str,
                  figures: dict[str, list[float]]) -> None:
    party = await ToneParty(1800.0).start()
    phone = uas(SUPERVISOR_EXT, party).start()
    try:
        clicked = time.time()
        r = await client.post("/api/monitor", json={"call_id": call_id, "mode": "listen"}, headers=headers)
        answered = time.time()
        if r.status_code != 202:
            raise RuntimeError(f"monitor refused: {r.status_code} {r.text}")
        deadline = time.monotonic() + TRY_SECONDS
        heard = None
        while heard is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
            heard = first_audio(party, clicked)
        if heard is None:
            raise RuntimeError(f"no audio at the supervisor's phone within {TRY_SECONDS:.0f} s")
        figures["api"].append((answered - clicked) * 1000)
        figures["audio"].append((heard - clicked) * 1000)
        invite = invite_received_at(phone.messages())
        if invite is not None:
            figures["invite"].append((invite - clicked) * 1000)
        await client.post(f"/api/monitor/{r.json()['id']}/stop", headers=headers)
        await asyncio.to_thread(phone.wait, TRY_SECONDS)
    finally:
        phone.cleanup()
        party.close()


def main_locked(args: argparse.Namespace) -> None:
    with open(LOCK_PATH, "w") as lock:  # one Asterisk serves the machine: wait for the tests' turn to end
        fcntl.flock(lock, fcntl.LOCK_EX)
        asyncio.run(on_pbx(args))


async def on_pbx(args: argparse.Namespace) -> None:
    pbx = Pbx()
    was_running = pbx.is_running()
    if not was_running:
        await asyncio.to_thread(pbx.start)
    await asyncio.to_thread(pbx.reset)
    parties: list[ToneParty] = []
    phones: list[SippPhone] = []
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade_async(url)
        database = Database(make_engine(url))
        await load_demo(database, 1)  # agent1 on PJSIP/1001, Amina Wanjiru, the supervisor
        async with database.session() as session:
            await session.execute(update(User).where(User.username == "supervisor").values(
                extension=f"PJSIP/{SUPERVISOR_EXT}"))
        await database.dispose()
        env = {**ami_env(), "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_ENV": "test",
               "SWITCHBOARD_DIALER__ENABLED": "false", "SWITCHBOARD_RECORDINGS__ENABLED": "false"}
        server = ServerProcess("bench-monitor", env, Path(tmp), cli=True).start()
        agent = AgentClient("agent1", server.base_url, server.ws_url)
        try:
            await server.wait_up()
            customer, voice = await ToneParty(CUSTOMER_HZ).start(), await ToneParty(AGENT_HZ).start()
            parties += [customer, voice]
            phones.append(uas(1001, voice).start())
            await agent.login()
            await agent.connect()
            await asyncio.sleep(1.0)  # the bridge logs in
            await agent.set_state("ready")
            await member_paused("PJSIP/1001", False, within=15)
            caller = SippPhone("uac_rtp_peer", local_port=5070, remote="127.0.0.1:5060", service=DID_DIRECT,
                               keys={"caller": AMINA_PHONE, "rtp_port": str(customer.port)}, calls=1,
                               timeout_s=600, name="customer").start()
            phones.append(caller)
            voice.send_to(await asterisk_port(phones[0], voice.port))
            customer.send_to(await asterisk_port(caller, customer.port))
            call_id = (await agent.wait("call.answered", within=20))["data"]["call_id"]
            figures: dict[str, list[float]] = {"api": [], "invite": [], "audio": []}
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
                login = await client.post("/api/auth/login", json={"username": "supervisor",
                                                                   "password": "supervisor-pass"})
                headers = {"Authorization": f"Bearer {login.json()['token']}"}
                for _ in range(args.tries):
                    await one_try(client, headers, call_id, figures)
            print(summary("Listen -> 202 from the API", figures["api"]))
            print(summary("Listen -> INVITE at the supervisor's phone", figures["invite"]))
            print(summary("Listen -> the call's audio at the supervisor's phone", figures["audio"]))
        finally:
            await agent.close()
            server.stop()
            for phone in phones:
                phone.cleanup()
            for party in parties:
                party.close()
            await asyncio.to_thread(pbx.reset)
            if not was_running:
                await asyncio.to_thread(pbx.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if not 1 <= args.tries <= 200:
        parser.error("--tries: 1 to 200")
    main_locked(args)


if __name__ == "__main__":
    main()
