"""Sign-in limits: brute force and argon2 floods are refused early and cheaply.

* Failed sign-ins are counted per account (the username typed, known or not) and per client address
  in a moving window (``limits``; in Redis when ``SWITCHBOARD_REDIS_URL`` is set, so that every
  worker shares the counts). Over either limit, sign-in answers 429 with ``Retry-After`` before any
  password is hashed.
* An account is locked after ``lock_after`` consecutive failures, for ``lock_seconds`` doubling with
  each further failure up to ``lock_max_seconds`` (stored on the user: every worker sees it, the
  admin page shows it, a new password or an unlock ends it). A locked account answers 429.
* argon2 runs on a pool of its own (``hash_threads``), with at most ``hash_queue`` sign-ins hashing
  or waiting; more at once are answered 429 at once. Sign-in can no longer take the default
  executor's threads or the machine's cores from everything else.

Failed sign-ins are written to the audit log by the route (``login_failed`` with the reason).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from agent_ui.services import Services
from config.settings import LoginSettings, Settings
from domain.errors import TooManyRequests
from store.models import User
from store.repositories.users import check_password

log = logging.getLogger(__name__)



def lock_seconds(failures: int, policy: LoginSettings) -> int:
    """How long ``failures`` consecutive failures lock an account (0: not locked)."""
    if failures < policy.lock_after:
        return 0
    doublings = min(failures - policy.lock_after, 30)
    return int(min(policy.lock_max_seconds, policy.lock_seconds * 2**doublings))


def record_failure(user: User, now: datetime, policy: LoginSettings) -> None:
    """Count a failed sign-in on ``user`` and lock it when the count calls for it."""
    user.failed_logins = (user.failed_logins or 0) + 1
    seconds = lock_seconds(user.failed_logins, policy)
    if seconds:
        user.locked_until = now + timedelta(seconds=seconds)


def locked_for(user: User | None, now: datetime) -> int:
    """Seconds left on the account's lock (0 when it is not locked)."""
    if user is None or user.locked_until is None or user.locked_until <= now:
        return 0
    return math.ceil((user.locked_until - now).total_seconds())


class LoginLimits:
    def __init__(self, settings: Settings) -> None:
        self.policy = settings.login
        self._pool: ConnectionPool | None = None
        storage: Storage
        if settings.redis_url:
            self._pool = ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=3.0, socket_timeout=3.0)
            # connection_pool is a documented option; limits types its options too narrowly
            storage = RedisStorage("async+" + settings.redis_url, implementation="redispy",
                                   key_prefix=f"{settings.redis_prefix}limits",
                                   connection_pool=self._pool)  # type: ignore[arg-type]
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        window = self.policy.window_seconds
        self._per_account: RateLimitItem = RateLimitItemPerSecond(self.policy.account_failures, window)
        self._per_address: RateLimitItem = RateLimitItemPerSecond(self.policy.address_failures, window)
        self._hashing = ThreadPoolExecutor(max_workers=self.policy.hash_threads, thread_name_prefix="argon2")
        self._slots = asyncio.Semaphore(self.policy.hash_queue)

    def _keys(self, username: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [(self._per_account, "account", username.strip().lower()[:64]),
                (self._per_address, "address", address)]

    async def check(self, username: str, address: str) -> None:
        """TooManyRequests when the account or the address used up its failures."""
        for item, kind, key in self._keys(username, address):
            try:
                if await self._limiter.test(item, "login-failures", kind, key):
                    continue
                stats = await self._limiter.get_window_stats(item, "login-failures", kind, key)
            except Exception as exc:  # the limit store is down: the account lock still applies
                log.warning("sign-in limits unavailable (%r); allowing the attempt", exc)
                return
            wait = math.ceil(stats.reset_time - time.time())
            raise TooManyRequests("too many failed sign-ins; wait before trying again",
                                  {kind: "too many failed sign-ins"}, retry_after=wait)

    async def failed(self, username: str, address: str) -> None:
        for item, kind, key in self._keys(username, address):
            try:
                await self._limiter.hit(item, "login-failures", kind, key)
            except Exception as exc:
                log.warning("sign-in limits unavailable (%r); failure not counted", exc)
                return

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """argon2 on the bounded pool; TooManyRequests when ``hash_queue`` sign-ins are in already."""
        if self._slots.locked():
            raise TooManyRequests("too many sign-ins at once; try again in a moment", retry_after=1)
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._hashing, check_password, stored_hash, password)

    async def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)
        if self._pool is not None:
            await self._pool.disconnect()


def login_limits(services: Services) -> LoginLimits:
    """The process's limits, made on first use (inside the running loop) and closed with the services."""
    if services.login_limits is not None:
        return services.login_limits
    limits = services.login_limits = LoginLimits(services.settings)
    services.supervisor.add_cleanup(limits.close)
    return limits
