"""The in-process outbox.

A stream (``agent:amina``, ``supervisors``) is a numbered log: ``append`` gives each message the
next seq (1, 2, 3 ...), the last ``retention`` messages are kept, and every reader sees every
message. ``read(stream, after_seq, timeout)`` returns the retained messages with seq > after_seq,
waiting up to ``timeout`` s for the first one. See :class:`bus.base.Outbox` for the edge cases.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bus.base import OutboxMessage
from bus.waiters import Waiters, wait_event


@dataclass
class _Stream:
    messages: deque[OutboxMessage]
    last_seq: int = 0


class MemoryOutbox:
    def __init__(self, *, retention: int = 1000, once_keys: int = 100_000) -> None:
        if retention < 1:
            raise ValueError("retention must be at least 1")
        self._retention = retention
        self._streams: dict[str, _Stream] = {}
        self._waiters = Waiters()
        self._once: OrderedDict[tuple[str, str], float] = OrderedDict()  # (stream, key) -> expiry
        self._once_max = once_keys

    def _stream(self, stream: str) -> _Stream:
        found = self._streams.get(stream)
        if found is None:
            found = self._streams[stream] = _Stream(deque(maxlen=self._retention))
        return found

    async def append(self, stream: str, type: str, data: dict[str, Any]) -> int:
        s = self._stream(stream)
        s.last_seq += 1
        s.messages.append(OutboxMessage(s.last_seq, type, data))
        self._waiters.wake(stream)
        return s.last_seq

    async def append_many(self, messages: Sequence[tuple[str, str, dict[str, Any]]]) -> list[int]:
        return [await self.append(stream, type, data) for stream, type, data in messages]

    async def append_once(self, stream: str, type: str, data: dict[str, Any], *, key: str,
                          ttl: float) -> int | None:
        if not key:
            raise ValueError("append_once needs a key")
        now = time.monotonic()
        expiry = self._once.get((stream, key))
        if expiry is not None and expiry > now:
            return None
        self._once[(stream, key)] = now + ttl
        self._once.move_to_end((stream, key))
        while len(self._once) > self._once_max:  # the oldest keys go first (bounded memory)
            self._once.popitem(last=False)
        return await self.append(stream, type, data)

    async def last_seq(self, stream: str) -> int:
        found = self._streams.get(stream)
        return found.last_seq if found else 0

    async def read(self, stream: str, after_seq: int, timeout: float) -> list[OutboxMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            wake = self._waiters.register(stream)
            try:
                found = self._read_now(stream, after_seq)
                if found:
                    return found
                if not await wait_event(wake, deadline - loop.time()):
                    return []
            finally:
                self._waiters.unregister(stream, wake)

    def _read_now(self, stream: str, after_seq: int) -> list[OutboxMessage]:
        s = self._streams.get(stream)
        if s is None or not s.messages:
            return []
        if after_seq > s.last_seq:
            after_seq = 0
        first = s.messages[0].seq
        start = max(0, after_seq + 1 - first)
        return [s.messages[i] for i in range(start, len(s.messages))]
