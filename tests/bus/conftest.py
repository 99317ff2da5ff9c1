"""Fixtures for the bus tests: one ``backend`` parametrised over in-process and real Redis.

Redis is 127.0.0.1:6379 (``SB_TEST_REDIS_URL`` overrides); every test gets its own key prefix and
its keys are deleted afterwards. Without a reachable Redis the redis cases are skipped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bus.base import EventBus, Lease, Outbox
from bus.factory import make_redis
from bus.lease import MemoryLease, RedisLease
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from bus.redis_outbox import RedisOutbox
from bus.redis_streams import RedisStreamsBus
from runtime.supervisor import TaskSupervisor

REDIS_URL = os.environ.get("SB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``check()`` is true; fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


async def stream_fields(client: Redis, key: str) -> list[dict[str, str]]:
    """The field maps of every entry of a Redis stream, oldest first."""
    entries: Any = await client.xrange(key)
    return [dict(fields) for _, fields in entries or ()]


class Backend:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.prefix = f"sbtest:{uuid.uuid4().hex[:10]}:"
        self.supervisor = TaskSupervisor(stop_timeout=2.0)
        self.clients: list[Redis] = []
        self.buses: list[EventBus] = []
        self._workers = 0
        self._shared_outbox: MemoryOutbox | None = None
        self._shared_lease = MemoryLease()

    @property
    def is_redis(self) -> bool:
        return self.kind == "redis"

    def client(self) -> Redis:
        """A new Redis client (a separate "process"), named so a test can kill its connections."""
        client = make_redis(REDIS_URL)
        client.connection_pool.connection_kwargs["client_name"] = f"{self.prefix}c{len(self.clients)}"
        self.clients.append(client)
        return client

    def bus(self, **options: Any) -> EventBus:
        """A new bus instance: with Redis, a separate worker (own client and worker id)."""
        self._workers += 1
        bus: EventBus
        if self.is_redis:
            options.setdefault("block_ms", 100)
            options.setdefault("stop_timeout", 1.0)
            options.setdefault("retry_delay", 0.01)
            bus = RedisStreamsBus(self.client(), self.supervisor, worker_id=f"worker-{self._workers}",
                                  prefix=self.prefix, **options)
        else:
            options.pop("claim_idle", None)
            options.setdefault("retry_delay", 0.01)
            bus = InProcessBus(self.supervisor, **options)
        self.buses.append(bus)
        return bus

    def outbox(self, *, retention: int = 1000) -> Outbox:
        """An outbox handle. With Redis each call is another worker's view of the same streams."""
        if self.is_redis:
            return RedisOutbox(self.client(), self.supervisor, prefix=self.prefix, retention=retention)
        if self._shared_outbox is None:
            self._shared_outbox = MemoryOutbox(retention=retention)
        return self._shared_outbox

    def lease(self) -> Lease:
        if self.is_redis:
            return RedisLease(self.client(), prefix=self.prefix)
        return self._shared_lease

    async def close(self) -> None:
        for bus in self.buses:
            await bus.stop()
        await self.supervisor.stop()
        if self.is_redis:
            cleaner = make_redis(REDIS_URL)
            try:
                keys = [k async for k in cleaner.scan_iter(match=self.prefix + "*", count=500)]
                if keys:
                    await cleaner.delete(*keys)
            finally:
                await cleaner.aclose()
        for client in self.clients:
            await client.aclose()


async def _redis_up() -> bool:
    client = make_redis(REDIS_URL)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def _make_backend(kind: str) -> AsyncIterator[Backend]:
    if kind == "redis" and not await _redis_up():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    backend = Backend(kind)
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async for b in _make_backend(request.param):
        yield b


@pytest.fixture
async def redis_backend() -> AsyncIterator[Backend]:
    async for b in _make_backend("redis"):
        yield b


