"""Sends per second per provider (``limits``' moving window): bulk runs never push a provider past
its configured rate (``SWITCHBOARD_SMS__<PROVIDER>__RATE_PER_SECOND``). In memory per process, or
in Redis (shared by every worker) when the installation has one."""

from __future__ import annotations

import asyncio
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


class ProviderRates:
    def __init__(self, per_second: dict[str, int], *, redis_url: str | None = None, prefix: str = "sb:") -> None:
        storage: Storage
        if redis_url:
            storage = RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=f"{prefix}sms-rate")
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)
        self.items = {name: RateLimitItemPerSecond(rate) for name, rate in per_second.items()}

    async def acquire(self, name: str, max_wait: float = 30.0) -> bool:
        """Wait for a slot of ``name``'s rate; False after ``max_wait`` seconds without one."""
        item = self.items.get(name)
        if item is None:
            return True
        deadline = time.monotonic() + max_wait
        while not await self.limiter.hit(item, "sms", name):
            stats = await self.limiter.get_window_stats(item, "sms", name)
            wait = min(max(stats.reset_time - time.time(), 0.002), 0.05)
            if time.monotonic() + wait > deadline:
                return False
            await asyncio.sleep(wait)
        return True
