"""build_bus picks the in-process or Redis parts from the settings."""

from __future__ import annotations

import pytest

from bus.factory import build_bus
from bus.lease import MemoryLease, RedisLease
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from bus.redis_outbox import RedisOutbox
from bus.redis_streams import RedisStreamsBus
from config.settings import Settings
from domain.events import CallOffered
from runtime.supervisor import TaskSupervisor
from tests.bus.conftest import REDIS_URL, Backend, eventually
from tests.bus.test_bus_contract import offered


async def test_without_redis_everything_is_in_process() -> None:
    sup = TaskSupervisor()
    bus, outbox, lease = build_bus(Settings(redis_url=None), sup)
    assert isinstance(bus, InProcessBus)
    assert isinstance(outbox, MemoryOutbox)
    assert isinstance(lease, MemoryLease)
    await sup.stop()


@pytest.mark.redis
async def test_with_redis_the_parts_share_one_client_closed_by_the_supervisor(
    redis_backend: Backend,
) -> None:
    sup = TaskSupervisor()
    settings = Settings(redis_url=REDIS_URL, worker_id="w-factory")
    bus, outbox, lease = build_bus(settings, sup, prefix=redis_backend.prefix)
    assert isinstance(bus, RedisStreamsBus)
    assert isinstance(outbox, RedisOutbox)
    assert isinstance(lease, RedisLease)
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    await redis_backend.bus().publish(offered(5))
    await eventually(lambda: got == ["c5"])
    assert await outbox.append("agent:amina", "t", {}) == 1
    assert await lease.try_acquire("ami:default", "w-factory", 5.0)
    await bus.stop()
    await sup.stop()
    assert sup.names() == []
    assert await redis_backend.lease().holder("ami:default") == "w-factory"
