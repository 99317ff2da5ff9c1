"""A Redis outage longer than the client's own retries: the loops log, back off and resume."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bus.base import BusUnavailable
from bus.factory import make_redis
from bus.redis_outbox import RedisOutbox
from bus.redis_streams import RedisStreamsBus
from domain.events import CallOffered
from tests.bus.conftest import Backend, eventually
from tests.bus.proxy import CuttableProxy
from tests.bus.test_bus_contract import offered

pytestmark = pytest.mark.redis


async def test_bus_and_outbox_survive_an_outage(
    redis_backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = CuttableProxy("127.0.0.1", 6379)
    await proxy.start()
    client = make_redis(f"redis://127.0.0.1:{proxy.port}/0")
    redis_backend.clients.append(client)
    sup = redis_backend.supervisor
    bus = RedisStreamsBus(client, sup, worker_id="behind-proxy", prefix=redis_backend.prefix, block_ms=100)
    redis_backend.buses.append(bus)
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    outbox_behind = RedisOutbox(client, sup, prefix=redis_backend.prefix)
    direct_bus, direct_outbox = redis_backend.bus(), redis_backend.outbox()
    await direct_bus.publish(offered(1))
    await eventually(lambda: got == ["c1"])
    assert await outbox_behind.read("agent:amina", 0, timeout=0.05) == []  # starts its listener

    try:
        with caplog.at_level(logging.WARNING):
            await proxy.cut()
            with pytest.raises(BusUnavailable):
                await bus.publish(offered(99))
            await direct_bus.publish(offered(2))  # published by a healthy worker meanwhile
            await direct_outbox.append("agent:amina", "call.ringing", {"n": 1})
            await eventually(lambda: any("lost Redis" in r.getMessage() for r in caplog.records))
            await asyncio.sleep(0.3)
            assert got == ["c1"]
            await proxy.start()  # Redis is back on the same port
            await eventually(lambda: got == ["c1", "c2"], within=8.0)
        reading = asyncio.create_task(outbox_behind.read("agent:amina", 1, timeout=5.0))
        await asyncio.sleep(0.1)
        await direct_outbox.append("agent:amina", "call.answered", {"n": 2})
        assert [m.type for m in await asyncio.wait_for(reading, 5.0)] == ["call.answered"]
        assert [m.seq for m in await outbox_behind.read("agent:amina", 0, timeout=1.0)] == [1, 2]
    finally:
        await proxy.cut()
