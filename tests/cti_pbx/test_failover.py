"""Failover of the AMI event connection between two real server processes (Redis + PostgreSQL).

Two processes run the app (JSON logs, the default lease: 2 s, renewed every 0.5 s) against the
real Asterisk with sipp phones; the agent's desktop is connected to the one that does NOT hold the
``ami:default`` lease, and the holder is killed with SIGKILL (nothing is released):

- a call answered 0.5 s before the kill, whose customer hangs up while nobody holds the lease,
  ends: the survivor's reconciliation finds it gone from Asterisk (``ended_during_failover``), the
  record is closed and the agent goes to wrap-up, then ready (and is back in the queue);
- the next call, placed right after the kill, pops on the agent's desktop within 5 s of the kill;
- the survivor's log names it as the new holder, its AMI login and its resync, each line with its
  worker id; and neither log holds a token, a password or the caller's full number.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from store.db import Database
from tests.cti_pbx.support import (
    AMINA_E164,
    AMINA_PHONE,
    AgentClient,
    ami_env,
    call_record,
    member_paused,
    seed,
    until,
)
from tests.cti_pbx.workers import ServerProcess
from tests.pbx.fixtures import Phones
from tests.pbx.harness import DID_DIRECT, Pbx

pytestmark = [pytest.mark.pbx, pytest.mark.redis, pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]
REDIS_URL = "redis://127.0.0.1:6379/0"  # keys under this test's own prefix, deleted afterwards
POP_WITHIN = 5.0


@dataclass
class Cluster:
    servers: list[ServerProcess]
    redis: Redis
    database: Database
    amina_id: int
    prefix: str

    @property
    def lease_key(self) -> str:
        return f"{self.prefix}lease:ami:default"

    async def holder(self, within: float = 15) -> ServerProcess:
        async def current() -> ServerProcess | None:
            name = await self.redis.get(self.lease_key)
            return next((s for s in self.servers if s.name == name and s.alive()), None)

        found: ServerProcess = await until(current, within, "an AMI lease holder")
        return found

    def other_than(self, server: ServerProcess) -> ServerProcess:
        [other] = [s for s in self.servers if s is not server]
        return other

    def logs(self) -> str:
        return "\n".join(s.log() for s in self.servers)


def json_lines(server: ServerProcess) -> list[dict[str, Any]]:
    """The server's log lines that are JSON objects (sipp or a crash could add others)."""
    out = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


@pytest.fixture
async def cluster(pbx_clean: Pbx, database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    del pbx_clean
    amina = await seed(database)
    prefix = f"sbfo{secrets.token_hex(3)}:"
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    env = {**ami_env(), "SWITCHBOARD_DATABASE_URL": database_url, "SWITCHBOARD_REDIS_URL": REDIS_URL,
           "SWITCHBOARD_REDIS_PREFIX": prefix, "SWITCHBOARD_LOG_FORMAT": "json",
           "SWITCHBOARD_ATTACHMENTS_DIR": str(tmp_path / "att")}
    del env["SWITCHBOARD_AMI__LEASE_SECONDS"]  # the defaults are what is tested here
    tag = secrets.token_hex(2)
    servers = [ServerProcess(f"w-{n}-{tag}", env, tmp_path).start() for n in ("a", "b")]
    cluster = Cluster(servers, redis, database, amina, prefix)
    try:
        await asyncio.gather(*(s.wait_up() for s in servers))
        yield cluster
    finally:
        for server in servers:
            server.stop()
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _ready_agent_on(server: ServerProcess) -> AgentClient:
    agent = AgentClient("agent1", server.base_url, server.ws_url)
    await agent.login()
    await agent.connect()
    await agent.set_state("ready")
    await member_paused("PJSIP/1001", False, within=15)
    return agent


def _state_frames(agent: AgentClient, after: int) -> list[tuple[str, str | None]]:
    return [(f["data"]["state"], f["data"]["call_id"]) for f in agent.frames
            if f["type"] == "agent.state" and f["seq"] > after]


async def test_a_call_that_ends_in_the_lease_gap_ends_and_its_agent_wraps_up_then_is_ready(
        cluster: Cluster, phones: Phones) -> None:
    holder = await cluster.holder()
    survivor = cluster.other_than(holder)
    agent = await _ready_agent_on(survivor)
    try:
        phones.agent(1001)  # rings 1 s, answers
        caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=1.0)  # hangs up 1 s after the answer
        ringing = await agent.wait("call.ringing", within=15)
        call_id = ringing["data"]["call_id"]
        answered = await agent.wait("call.answered", call_id, within=10)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(holder.kill)  # 0.5 s after the answer; the hangup falls in the gap
        ended = await agent.wait("call.ended", call_id, within=15)
        assert ended["data"]["cause"] == "ended_during_failover", cluster.logs()
        await asyncio.to_thread(caller.check, 15)
        row = await call_record(cluster.database, call_id, lambda r: r.ended_at is not None)
        assert (row.cause, row.caller_number) == ("ended_during_failover", AMINA_E164)
        # presence: wrap-up on the dead call (1 s in these tests), then ready, and back in the queue
        await agent.wait_for(lambda f: f["type"] == "agent.state" and f["data"]["state"] == "ready"
                             and f["seq"] > ended["seq"], 10, "agent1 ready after the wrap-up")
        states = _state_frames(agent, answered["seq"])
        assert ("wrap_up", call_id) in states and states[-1] == ("ready", None), states
        assert states.index(("wrap_up", call_id)) < len(states) - 1
        await member_paused("PJSIP/1001", False, within=10)
        # the survivor's log says what it ended, and for which agent
        [line] = [ln for ln in json_lines(survivor) if ln.get("call_id") == call_id
                  and "ended_during_failover" in ln["msg"]]
        assert (line["worker"], line["agent"], line["level"]) == (survivor.name, "agent1", "INFO")
        # never a token, a password, the AMI secret or the caller's full number in either log
        logs = "\n".join(s.log_path.read_text(errors="replace") for s in cluster.servers)
        assert "/ws?token=[redacted]" in logs  # the socket's URL was logged, without its token
        for secret in (agent.token, "agent1-pass", "switchboard-test", AMINA_E164, AMINA_PHONE, AMINA_E164[1:]):
            assert secret not in logs
    finally:
        await agent.close()


async def test_the_next_call_pops_within_5_s_of_the_kill(cluster: Cluster, phones: Phones) -> None:
    holder = await cluster.holder()
    survivor = cluster.other_than(holder)
    agent = await _ready_agent_on(survivor)
    try:
        phones.agent(1001)
        after = agent.frames[-1]["seq"]
        killed_at = time.monotonic()
        await asyncio.to_thread(holder.kill)
        caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=3.0)
        ringing = await agent.wait_for(lambda f: f["type"] == "call.ringing" and f["seq"] > after, 15,
                                       "the next call's pop")
        popped_after = time.monotonic() - killed_at
        assert popped_after <= POP_WITHIN, f"popped {popped_after:.2f} s after the kill\n{cluster.logs()}"
        call_id = ringing["data"]["call_id"]
        assert ringing["data"]["caller_number"] == AMINA_E164
        assert [m["customer_id"] for m in ringing["data"]["matches"]] == [cluster.amina_id]
        await agent.wait("call.answered", call_id, within=10)
        ended = await agent.wait("call.ended", call_id, within=15)
        assert ended["data"]["cause"] == "normal"
        assert len(agent.of("call.ringing", call_id)) == 1
        await asyncio.to_thread(caller.check, 15)
        row = await call_record(cluster.database, call_id, lambda r: r.ended_at is not None)
        assert (row.cause, row.queue, row.caller_number) == ("normal", "collections", AMINA_E164)
        assert await cluster.redis.get(cluster.lease_key) == survivor.name
    finally:
        await agent.close()


async def test_the_log_names_the_new_holder(cluster: Cluster) -> None:
    holder = await cluster.holder()
    survivor = cluster.other_than(holder)
    acquired = f"lease ami:default acquired by {holder.name}"
    assert any(ln["msg"].startswith(acquired) and ln["worker"] == holder.name for ln in json_lines(holder))
    killed_at = time.monotonic()
    await asyncio.to_thread(holder.kill)

    async def taken_over() -> bool:
        return await cluster.redis.get(cluster.lease_key) == survivor.name

    await until(taken_over, 5, f"{survivor.name} to take the lease", every=0.05)
    took = time.monotonic() - killed_at
    assert took <= 3.0, f"takeover took {took:.2f} s"

    async def resynced() -> list[dict[str, Any]]:
        return [ln for ln in json_lines(survivor) if ln["logger"] == "cti.ami.bridge" and "resynced" in ln["msg"]]

    await until(resynced, 10, "the survivor's resync line")
    lines = json_lines(survivor)
    mine = [ln for ln in lines if ln["worker"] == survivor.name]
    assert len(mine) == len(lines)  # every line says which worker wrote it
    messages = [(ln["logger"], ln["level"], ln["msg"]) for ln in lines]
    new_holder = f"lease ami:default acquired by {survivor.name}"
    assert any(log == "bus.lease" and level == "INFO" and msg.startswith(new_holder)
               for log, level, msg in messages), messages
    assert any(log == "cti.ami.connection" and msg.startswith("AMI default: logged in") for log, _, msg in messages)
    order = [i for i, (log, _, msg) in enumerate(messages)
             if msg.startswith(new_holder) or (log == "cti.ami.bridge" and "resynced" in msg)]
    assert len(order) >= 2 and messages[order[0]][2].startswith(new_holder)  # acquired, then resynced
