"""The waiter registry both outboxes use to wake blocked readers (:mod:`bus.outbox`, :mod:`bus.redis_outbox`),
and the bounded wait on one event (the Redis event bus waits with it too)."""

from __future__ import annotations

import asyncio


class Waiters:
    """Per-stream wake-up events. Register *before* reading, so no append slips between."""

    def __init__(self) -> None:
        self._by_stream: dict[str, set[asyncio.Event]] = {}

    def register(self, stream: str) -> asyncio.Event:
        event = asyncio.Event()
        self._by_stream.setdefault(stream, set()).add(event)
        return event

    def unregister(self, stream: str, event: asyncio.Event) -> None:
        events = self._by_stream.get(stream)
        if events is not None:
            events.discard(event)
            if not events:
                del self._by_stream[stream]

    def wake(self, stream: str) -> None:
        for event in self._by_stream.get(stream, ()):
            event.set()

    def wake_all(self) -> None:
        for events in self._by_stream.values():
            for event in events:
                event.set()

    def streams(self) -> list[str]:
        return list(self._by_stream)


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """True if ``event`` was set within ``seconds``."""
    if seconds <= 0:
        return event.is_set()
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
