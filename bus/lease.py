"""Leases: exactly one worker holds each named resource (an AMI connection) at a time.

``MemoryLease`` (one process) and ``RedisLease`` (``SET NX PX`` plus Lua compare-and-renew /
compare-and-delete, so only the holder can extend or release). :class:`LeaseKeeper` runs the loop
a worker needs: try to acquire; while held renew every ``renew_every`` (default ``ttl / 3``); call
``on_acquired`` / ``on_lost``. A holder that dies stops renewing; its lease expires and another
keeper takes it within ``ttl`` plus one retry interval (the AMI lease: 2 s + 0.5 s by default). If
renewing fails because Redis cannot be reached, the keeper declares the lease lost one interval
*before* it could expire, so two workers never both believe they hold it; and what the holder
publishes under the lease is fenced in Redis itself (:mod:`bus.fencing`), so a holder that was
paused past its lease cannot publish after losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bus.base import BusUnavailable, Lease
from domain.errors import SwitchboardError
from runtime.supervisor import raise_if_cancelling

log = logging.getLogger(__name__)

_ACQUIRE = """
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class MemoryLease:
    def __init__(self) -> None:
        self._held: dict[str, tuple[str, float]] = {}

    def _current(self, name: str) -> str | None:
        entry = self._held.get(name)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._held[name]
            return None
        return entry[0]

    async def try_acquire(self, name: str, holder: str, ttl: float) -> bool:
        current = self._current(name)
        if current not in (None, holder):
            return False
        self._held[name] = (holder, time.monotonic() + ttl)
        return True

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        if self._current(name) != holder:
            return False
        self._held[name] = (holder, time.monotonic() + ttl)
        return True

    async def release(self, name: str, holder: str) -> bool:
        if self._current(name) != holder:
            return False
        del self._held[name]
        return True

    async def holder(self, name: str) -> str | None:
        return self._current(name)


class RedisLease:
    def __init__(self, redis: Redis, *, prefix: str = "sb:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, name: str) -> str:
        """The Redis key of lease ``name`` (its value is the holder)."""
        return f"{self._prefix}lease:{name}"

    async def _call(self, what: str, script: AsyncScript, name: str, *args: str | int) -> bool:
        try:
            result = await script(keys=[self.key(name)], args=list(args))
        except RedisError as exc:
            raise BusUnavailable(f"lease {what} of {name!r} failed: {exc}") from exc
        return bool(int(result))

    async def try_acquire(self, name: str, holder: str, ttl: float) -> bool:
        return await self._call("acquire", self._acquire, name, holder, _ms(ttl))

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        return await self._call("renew", self._renew, name, holder, _ms(ttl))

    async def release(self, name: str, holder: str) -> bool:
        return await self._call("release", self._release, name, holder)

    async def holder(self, name: str) -> str | None:
        try:
            value = await self._redis.get(self.key(name))
        except RedisError as exc:
            raise BusUnavailable(f"lease lookup of {name!r} failed: {exc}") from exc
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


Callback = Callable[[], Awaitable[None]]


class LeaseKeeper:
    """Hold lease ``name`` for ``holder`` whenever possible; run with ``supervisor.spawn``.

    ``on_acquired`` / ``on_lost`` are awaited in the keeper's loop, so they must return promptly
    (start or stop your work; do not run it there). If ``on_acquired`` raises, the lease is
    released and retried after ``ttl``. Cancelling :meth:`run` releases the lease and calls
    ``on_lost`` if it was held.

    ``renew_every`` (default ``ttl / 3``) is both the renewal interval of a holder and the retry
    interval of a waiting keeper, so a dead holder is replaced within ``ttl + renew_every``. Each
    Redis call is bounded by ``ttl / 2``. :meth:`valid` says, without I/O, whether the hold is
    still surely ours (a process that was paused past its lease sees False at once, before any
    renewal fails); :meth:`recheck` wakes the loop to renew now (e.g. a fenced publish was refused).
    """

    def __init__(
        self,
        lease: Lease,
        name: str,
        holder: str,
        *,
        ttl: float,
        on_acquired: Callback,
        on_lost: Callback,
        renew_every: float | None = None,
    ) -> None:
        if ttl <= 0:
            raise SwitchboardError("lease ttl must be positive")
        self.lease = lease
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.interval = ttl / 3 if renew_every is None else renew_every
        if not 0 < self.interval < ttl:
            raise SwitchboardError("lease renewal interval must be positive and shorter than the ttl")
        self._on_acquired = on_acquired
        self._on_lost = on_lost
        self._valid_until = 0.0  # monotonic time our hold surely ends, if not renewed
        self._wake = asyncio.Event()
        self.held = False

    def valid(self) -> bool:
        """Held, and not past the time the lease surely ends unless renewed (no I/O)."""
        return self.held and asyncio.get_running_loop().time() < self._valid_until

    def recheck(self) -> None:
        """Renew (or find the lease lost) now rather than at the next interval."""
        self._wake.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()  # a recheck() asked meanwhile (even during the call) ends it
        self._wake.clear()

    async def _call(self) -> bool:
        # Shielded: a cancellation lands on this await, never inside redis-py (which can swallow
        # it and leave this loop running after its supervisor stopped it). Bounded: a renewal that
        # hangs must not outlive the lease it renews.
        if self.held:
            call = self.lease.renew(self.name, self.holder, self.ttl)
        else:
            call = self.lease.try_acquire(self.name, self.holder, self.ttl)
        try:
            async with asyncio.timeout(self.ttl / 2):
                return await asyncio.shield(call)
        except TimeoutError as exc:
            raise BusUnavailable(f"lease {self.name}: no answer within {self.ttl / 2:.2f} s") from exc

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.interval
        try:
            while True:
                sent = loop.time()
                try:
                    ok = await self._call()
                except SwitchboardError as exc:
                    raise_if_cancelling()
                    log.warning("lease %s: %s", self.name, exc)
                    if self.held and loop.time() >= self._valid_until - interval:
                        await self._lost("cannot renew")
                    await self._pause(interval)
                    continue
                if ok:
                    self._valid_until = sent + self.ttl
                    if not self.held and not await self._acquired():
                        await asyncio.sleep(self.ttl)
                        continue
                elif self.held:
                    await self._lost("taken by another holder or expired")
                await self._pause(interval)
        finally:
            if self.held:
                await self._shutdown()

    async def _acquired(self) -> bool:
        self.held = True
        log.info("lease %s acquired by %s (ttl %.1f s, renewed every %.1f s)", self.name, self.holder,
                 self.ttl, self.interval, extra={"lease": self.name, "holder": self.holder})
        try:
            await self._on_acquired()
        except Exception:
            log.exception("lease %s: on_acquired failed; releasing", self.name)
            self.held = False
            try:
                await self.lease.release(self.name, self.holder)
            except SwitchboardError as exc:
                log.warning("lease %s: release failed: %s", self.name, exc)
            return False
        return True

    async def _lost(self, why: str) -> None:
        self.held = False
        log.warning("lease %s lost by %s: %s", self.name, self.holder, why,
                    extra={"lease": self.name, "holder": self.holder})
        try:
            await self._on_lost()
        except Exception:
            log.exception("lease %s: on_lost failed", self.name)

    async def _shutdown(self) -> None:
        self.held = False
        try:
            async with asyncio.timeout(2.0):
                await self._on_lost()  # stop our work first, then let another worker in
                await self.lease.release(self.name, self.holder)
            log.info("lease %s released by %s", self.name, self.holder,
                     extra={"lease": self.name, "holder": self.holder})
        except (SwitchboardError, TimeoutError) as exc:
            log.warning("lease %s: release on stop failed: %r", self.name, exc)
        except Exception:
            log.exception("lease %s: on_lost failed on stop", self.name)
