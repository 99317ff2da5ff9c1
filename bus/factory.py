"""Build the bus, the outbox and the lease for this process from the settings.

Without ``settings.redis_url`` everything is in-process (one worker). With it, the three share
one Redis client, created here (never at import) and closed by ``supervisor.stop()``.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bus.base import EventBus, Lease, Outbox
from bus.lease import MemoryLease, RedisLease
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from bus.redis_outbox import RedisOutbox
from bus.redis_streams import RedisStreamsBus
from config.settings import Settings
from runtime.supervisor import TaskSupervisor


def make_redis(url: str) -> Redis:
    """A client with short retries on connection errors; the loops above it retry for longer."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=3.0,
        socket_timeout=10.0,  # must exceed the bus's XREADGROUP BLOCK (1 s)
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )

def build_bus(
    settings: Settings, supervisor: TaskSupervisor, *, prefix: str | None = None
) -> tuple[EventBus, Outbox, Lease]:
    prefix = settings.redis_prefix if prefix is None else prefix
    if settings.redis_url is None:
        return InProcessBus(supervisor), MemoryOutbox(), MemoryLease()
    redis = make_redis(settings.redis_url)
    supervisor.add_cleanup(redis.aclose)
    bus = RedisStreamsBus(redis, supervisor, worker_id=settings.worker_id, prefix=prefix)
    outbox = RedisOutbox(redis, supervisor, prefix=prefix)
    return bus, outbox, RedisLease(redis, prefix=prefix)
