"""Publishing under a lease: only while the lease is ours, checked where the events land.

The AMI event connection of a server is held by one worker (a :class:`bus.lease.LeaseKeeper`). A
holder that stalls (a long GC pause, SIGSTOP, a slow disk) can wake up after its lease expired and
another worker took over; whatever it still had in hand must not reach the bus. So every event it
publishes goes through a :class:`FencedPublisher`:

- first a local check, no I/O: the keeper's hold is still surely valid (:meth:`LeaseKeeper.valid`),
  so a process that was paused past its lease stops at once;
- then the check that cannot race: on Redis, one Lua script compares the lease key with our holder
  token and appends to the event stream in the same atomic step (``XADD`` only if
  ``GET lease == holder``). A holder that lost the lease between the two checks is still refused.

A refused publish raises :class:`LeaseLost`; the caller stops publishing and asks the keeper to
re-check (which then calls its ``on_lost``). On the in-process bus (one worker, nobody to take
over) the lease's holder is compared before publishing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from redis.exceptions import RedisError

from bus.base import BusUnavailable, EventBus, Lease
from bus.lease import RedisLease
from bus.redis_streams import RedisStreamsBus
from domain.errors import Conflict
from domain.events import Event, encode_event

_XADD_IF_HELD = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[3])
"""


class LeaseLost(Conflict):
    """The lease a publish was fenced by is no longer ours: nothing was published."""

    error_id = "lease-lost"


class FencedPublisher:
    """``await publish(event)`` while ``holder`` holds lease ``name``; raises :class:`LeaseLost`."""

    def __init__(self, bus: EventBus, lease: Lease, name: str, holder: str, *,
                 valid: Callable[[], bool]) -> None:
        self._bus, self._lease, self._name, self._holder, self._valid = bus, lease, name, holder, valid
        self.refused = 0
        self._script = None
        if isinstance(bus, RedisStreamsBus) and isinstance(lease, RedisLease):
            self._streams: RedisStreamsBus = bus
            self._lease_key = lease.key(name)
            self._script = bus.redis.register_script(_XADD_IF_HELD)

    async def publish(self, event: Event) -> None:
        if not self._valid():
            self._refuse(event, "the hold may have expired")
        if self._script is not None:
            payload = json.dumps(encode_event(event), separators=(",", ":"))
            stream = self._streams.stream_key(event.type_name)
            try:
                added = await self._script(keys=[self._lease_key, stream],
                                           args=[self._holder, self._streams.maxlen, payload])
            except RedisError as exc:
                raise BusUnavailable(f"cannot publish {event.type_name}: {exc}") from exc
            if added is None:
                self._refuse(event, "another worker holds it")
            return
        if await self._lease.holder(self._name) != self._holder:
            self._refuse(event, "another worker holds it")
        await self._bus.publish(event)

    async def publish_many(self, events: Sequence[Event]) -> None:
        for event in events:  # each checked against the lease
            await self.publish(event)

    def _refuse(self, event: Event, why: str) -> None:
        self.refused += 1
        raise LeaseLost(f"lease {self._name} is no longer held by {self._holder} ({why}); "
                        f"{event.type_name} not published", {"lease": self._name})
