"""Each worker's heartbeat in Redis, so the others can tell a dead worker from a quiet one.

A worker that dies (``kill -9``, a lost machine) leaves its consumer name in every Redis consumer
group it read. Its pending entries are taken over by the others (``XAUTOCLAIM``) once idle; its name
would stay in the groups. With a heartbeat, a consumer whose worker's heartbeat key has expired,
with nothing pending and idle for longer than the heartbeat's ttl, is removed
(:meth:`bus.redis_streams.RedisStreamsBus`'s claim round). The ttl (10 s) outlives the AMI lease
(2 s), so by then the dead worker's leases have expired too.

``<prefix>worker:<worker_id>`` is set with a ttl and renewed every ``ttl / 3`` by a supervised loop;
a clean stop deletes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from runtime.supervisor import raise_if_cancelling

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0


class WorkerHeartbeat:
    def __init__(self, redis: Redis, worker_id: str, *, prefix: str = "sb:", ttl: float = HEARTBEAT_SECONDS) -> None:
        self._redis, self.worker_id, self._prefix, self.ttl = redis, worker_id, prefix, ttl

    def key(self, worker_id: str) -> str:
        return f"{self._prefix}worker:{worker_id}"

    async def beat(self) -> None:
        await self._redis.set(self.key(self.worker_id), "1", px=max(1, int(self.ttl * 1000)))

    async def run(self) -> None:
        """Renew the heartbeat every ``ttl / 3`` (run under the task supervisor)."""
        while True:
            try:
                await self.beat()
            except (RedisError, OSError) as exc:  # tried again next beat
                raise_if_cancelling()
                log.warning("heartbeat of %s not renewed: %r", self.worker_id, exc)
            await asyncio.sleep(self.ttl / 3)

    async def clear(self) -> None:
        """Say this worker is gone (a clean stop)."""
        try:
            await self._redis.delete(self.key(self.worker_id))
        except (RedisError, OSError) as exc:
            log.warning("heartbeat of %s not cleared: %r", self.worker_id, exc)

    async def dead(self, worker_ids: Sequence[str]) -> set[str]:
        """Those of ``worker_ids`` without a heartbeat (one round trip)."""
        if not worker_ids:
            return set()
        async with self._redis.pipeline(transaction=False) as pipe:
            for worker_id in worker_ids:
                pipe.exists(self.key(worker_id))
            found = await pipe.execute()
        return {w for w, alive in zip(worker_ids, found, strict=True) if not int(alive)}
