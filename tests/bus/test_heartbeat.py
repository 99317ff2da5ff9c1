"""Dead workers leave the Redis consumer groups (bus/heartbeat.py, bus/redis_streams.py).

A worker killed with entries in hand leaves its consumer name in the group: the survivors take
its entries over, then remove the name once its heartbeat has expired. A quiet worker whose
heartbeat is alive keeps its name; a clean stop deletes the worker's heartbeat.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bus.redis_streams import RedisStreamsBus
from domain.events import CallEnded, EndCause
from tests.bus.conftest import Backend, eventually

pytestmark = pytest.mark.redis


async def _consumers(bus: RedisStreamsBus, stream: str, group: str) -> set[str]:
    found: Any = await bus.redis.xinfo_consumers(stream, group)
    return {str(c["name"]) for c in found}


async def test_a_dead_workers_consumer_names_go_once_its_heartbeat_expired(redis_backend: Backend) -> None:
    seen: list[str] = []

    async def collect(ev: CallEnded) -> None:
        seen.append(ev.call_id)

    survivor = redis_backend.bus(claim_idle=0.3, heartbeat_seconds=0.3)
    assert isinstance(survivor, RedisStreamsBus)
    stream, redis = survivor.stream_key("call.ended"), survivor.redis
    # before the survivor reads: one worker took an entry and died (never acks), one stays quiet
    await redis.xgroup_create(stream, "g", id="$", mkstream=True)
    await survivor.publish(CallEnded(call_id="default/2.1", cause=EndCause.NORMAL, cause_code=16))
    await redis.xreadgroup("g", "killed-worker", {stream: ">"}, count=10)
    await redis.xgroup_createconsumer(stream, "g", "quiet-worker")
    await redis.set(survivor.heartbeat.key("quiet-worker"), "1", px=60_000)
    assert await _consumers(survivor, stream, "g") == {"killed-worker", "quiet-worker"}
    survivor.subscribe(CallEnded, collect, group="g")
    await survivor.start()
    await survivor.publish(CallEnded(call_id="default/3.1", cause=EndCause.NORMAL, cause_code=16))

    # the killed worker's entry is taken over and handled, then its name leaves the group
    await eventually(lambda: sorted(seen) == ["default/2.1", "default/3.1"], within=5.0)

    async def gone() -> bool:
        return "killed-worker" not in await _consumers(survivor, stream, "g")

    for _ in range(100):
        if await gone():
            break
        await asyncio.sleep(0.05)
    names = await _consumers(survivor, stream, "g")
    assert "killed-worker" not in names
    assert "quiet-worker" in names  # alive (its heartbeat): kept however quiet
    assert sorted(seen) == ["default/2.1", "default/3.1"]
    assert await redis.exists(survivor.heartbeat.key("worker-1")) == 1
    await survivor.stop()
    assert await redis.exists(survivor.heartbeat.key("worker-1")) == 0  # a clean stop says so
