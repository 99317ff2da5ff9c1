"""Two real server processes sharing Redis and PostgreSQL, on the real Asterisk.

Exactly one process holds the AMI event connection (the ``ami:default`` lease in Redis); the
agent's browser is connected to the OTHER one. The pop still reaches the agent, through the Redis
bus, and the call is recorded. When the lease holder is killed (SIGKILL: nothing is released), the
other process takes the AMI connection over within 15 s and the next call pops.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

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
    user_id,
)
from tests.cti_pbx.workers import ServerProcess
from tests.pbx.fixtures import Phones
from tests.pbx.harness import DID_DIRECT, Pbx

pytestmark = [pytest.mark.pbx, pytest.mark.redis, pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]
REDIS_URL = "redis://127.0.0.1:6379/14"  # this module's own Redis database (no other test uses 14), flushed around each test
LEASE_KEY = "sb:lease:ami:default"
TAKEOVER_WITHIN = 15.0


@dataclass
class Cluster:
    servers: list[ServerProcess]
    redis: Redis
    database: Database
    amina_id: int

    async def holder(self, within: float = 15) -> ServerProcess:
        """The process holding the AMI event connection (by the lease in Redis)."""
        async def current() -> ServerProcess | None:
            name = await self.redis.get(LEASE_KEY)
            return next((s for s in self.servers if s.name == name and s.alive()), None)

        found: ServerProcess = await until(current, within, "an AMI lease holder")
        return found

    def other_than(self, server: ServerProcess) -> ServerProcess:
        [other] = [s for s in self.servers if s is not server]
        return other

    def logs(self) -> str:
        return "\n".join(s.log() for s in self.servers)


@pytest.fixture
async def cluster(pbx_clean: Pbx, database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    del pbx_clean
    amina = await seed(database)
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    await redis.flushdb()
    env = {**ami_env(), "SWITCHBOARD_DATABASE_URL": database_url, "SWITCHBOARD_REDIS_URL": REDIS_URL,
           "SWITCHBOARD_ATTACHMENTS_DIR": str(tmp_path / "att")}
    tag = secrets.token_hex(2)
    servers = [ServerProcess(f"w-{n}-{tag}", env, tmp_path).start() for n in ("a", "b")]
    cluster = Cluster(servers, redis, database, amina)
    try:
        await asyncio.gather(*(s.wait_up() for s in servers))
        yield cluster
    finally:
        for server in servers:
            server.stop()
        await redis.flushdb()
        await redis.aclose()


async def _ready_agent_on(server: ServerProcess) -> AgentClient:
    agent = AgentClient("agent1", server.base_url, server.ws_url)
    await agent.login()
    await agent.connect()
    await agent.set_state("ready")
    await member_paused("PJSIP/1001", False, within=15)
    return agent


async def _call_pops(cluster: Cluster, agent: AgentClient, phones: Phones) -> str:
    """A new call from Amina pops on ``agent``, is answered, ends and is recorded."""
    after = agent.frames[-1]["seq"]
    phones.agent(1001)
    caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=0.5)
    try:
        ringing = await agent.wait_for(lambda f: f["type"] == "call.ringing" and f["seq"] > after, 15,
                                       "a new call.ringing")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.logs()}") from exc
    call_id: str = ringing["data"]["call_id"]
    assert ringing["data"]["caller_number"] == AMINA_E164
    assert [(m["customer_id"], m["relation"]) for m in ringing["data"]["matches"]] == [
        (cluster.amina_id, "customer")]
    await agent.wait("call.answered", call_id)
    ended = await agent.wait("call.ended", call_id)
    assert ended["data"]["cause"] == "normal"
    await asyncio.to_thread(caller.check, 20)
    row = await call_record(cluster.database, call_id, lambda r: r.ended_at is not None and r.cause is not None)
    assert (row.cause, row.queue, row.caller_number) == ("normal", "collections", AMINA_E164)
    assert row.answered_at is not None and row.agent_id == await user_id(cluster.database, "agent1")
    return call_id


async def test_pop_reaches_an_agent_connected_to_the_other_process(cluster: Cluster, phones: Phones) -> None:
    holder = await cluster.holder()
    other = cluster.other_than(holder)
    agent = await _ready_agent_on(other)
    try:
        await _call_pops(cluster, agent, phones)
        # the AMI connection stayed in the holder the whole time: the pop crossed processes
        assert await cluster.redis.get(LEASE_KEY) == holder.name and holder.alive()
    finally:
        await agent.close()


async def test_lease_holder_killed_while_a_call_rings_the_other_takes_over_and_the_next_call_pops(
        cluster: Cluster, phones: Phones) -> None:
    holder = await cluster.holder()
    survivor = cluster.other_than(holder)
    agent = await _ready_agent_on(survivor)
    try:
        ringing_phone = phones.agent(1001, scenario="uas_noanswer")
        caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, scenario="uac_abandon", hold_seconds=8)
        ringing = await agent.wait("call.ringing", within=15)
        call_id = ringing["data"]["call_id"]
        killed_at = time.monotonic()
        await asyncio.to_thread(holder.kill)  # the AMI holder dies while the agent's phone rings

        async def taken_over() -> bool:
            return await cluster.redis.get(LEASE_KEY) == survivor.name

        await until(taken_over, TAKEOVER_WITHIN, f"{survivor.name} to take the AMI lease over", every=0.1)
        assert time.monotonic() - killed_at <= TAKEOVER_WITHIN
        # the new holder resyncs the still-ringing call: the agent sees it end, never pops it twice
        ended = await agent.wait("call.ended", call_id, within=20)
        assert ended["data"]["cause"] == "abandoned"
        assert len(agent.of("call.ringing", call_id)) == 1
        await asyncio.to_thread(caller.check, 15)
        row = await call_record(cluster.database, call_id, lambda r: r.abandoned and r.ended_at is not None)
        assert row.answered_at is None
        ringing_phone.cleanup()
        await member_paused("PJSIP/1001", False, within=10)
        await _call_pops(cluster, agent, phones)
    finally:
        await agent.close()
