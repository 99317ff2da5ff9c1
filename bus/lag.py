"""Bus lag per group, where the backend can tell: events published that a group has not done yet.

In process: each group's queue (events not yet taken by its handler). Redis Streams: for the group
on each stream it reads, ``XINFO GROUPS``'s ``lag`` (entries not yet delivered to the group, Redis
7) plus ``pending`` (delivered, not yet acknowledged: being handled, or held by a dead worker until
it is reclaimed), summed. Another backend: nothing (``None``). Read by the metrics before each
scrape (``runtime.metrics``).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from bus.base import EventBus
from bus.memory import InProcessBus
from bus.redis_streams import RedisStreamsBus


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def bus_lag(bus: EventBus | None) -> dict[str, int] | None:
    if isinstance(bus, InProcessBus):
        return bus.lag()
    if not isinstance(bus, RedisStreamsBus):
        return None
    lag: dict[str, int] = {}
    for group, streams in bus.group_streams().items():
        total = 0
        for stream in streams:
            try:
                infos = await bus.redis.xinfo_groups(stream)
            except ResponseError:  # the stream is not there yet (the group's first read makes it)
                continue
            for info in infos:
                fields = {_text(k): v for k, v in info.items()}
                if _text(fields.get("name", "")) == group:
                    total += int(fields.get("lag") or 0) + int(fields.get("pending") or 0)
        lag[group] = total
    return lag
