"""What this process has heard of the outbox streams its sockets read (no I/O; used by
:class:`bus.redis_outbox.RedisOutbox`).

Every append is published with its message (``stream``, ``seq``, ``type``, ``data``), and the one
pub/sub listener of the process feeds them here, in seq order per stream. A socket's next read is
then answered from memory, with no Redis round trip; whenever the cache cannot prove it holds
*everything* after the reader's seq, :meth:`StreamCache.answer` says so (``None``) and the reader
reads the Redis stream, which is the record. The rules:

* Only streams a local reader asked for within ``idle_seconds`` are kept (``depth`` messages each).
* ``known`` is the last seq heard for the stream. A reader at ``known`` has nothing new; a reader
  behind it is answered only if the kept messages run without a hole from its seq + 1 to
  ``known``; a reader ahead of it (a reset stream, or a reader that read Redis before this
  listener heard the same message) goes to Redis.
* A message after a hole (seq > known + 1) restarts the run; seq 1 after a higher ``known`` is a
  stream that expired and began again; an older or repeated seq is ignored.
* :meth:`clear` forgets every ``known`` (the listener reconnected: it may have missed messages).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bus.base import OutboxMessage


@dataclass
class _Heard:
    last_read: float
    known: int | None = None
    recent: deque[OutboxMessage] = field(default_factory=deque)


class StreamCache:
    def __init__(self, *, depth: int = 32, idle_seconds: float = 120.0) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._depth = depth
        self._idle = idle_seconds
        self._streams: dict[str, _Heard] = {}

    def __len__(self) -> int:
        return len(self._streams)

    def interest(self, stream: str, now: float) -> None:
        """A local reader reads ``stream``: keep what is heard of it from now on."""
        heard = self._streams.get(stream)
        if heard is None:
            self._streams[stream] = _Heard(now, recent=deque(maxlen=self._depth))
        else:
            heard.last_read = now

    def watching(self, stream: str) -> bool:
        return stream in self._streams

    def heard(self, stream: str, message: OutboxMessage) -> bool:
        """The listener heard ``message``; True if a local reader is interested in ``stream``."""
        heard = self._streams.get(stream)
        if heard is None:
            return False
        known, seq = heard.known, message.seq
        if known is None or seq == known + 1:
            pass
        elif seq > known + 1 or (seq == 1 and known > 1):  # a hole, or the stream began again
            heard.recent.clear()
        else:  # already heard (or older): nothing new
            return True
        heard.recent.append(message)
        heard.known = seq
        return True

    def forget(self, stream: str) -> None:
        """Something was heard of ``stream`` that cannot be used: ask Redis until the next message."""
        heard = self._streams.get(stream)
        if heard is not None:
            heard.known = None
            heard.recent.clear()

    def answer(self, stream: str, after_seq: int) -> list[OutboxMessage] | None:
        """Every message after ``after_seq`` (``[]``: none yet), or None: read Redis instead."""
        heard = self._streams.get(stream)
        if heard is None or heard.known is None or after_seq > heard.known:
            return None
        if after_seq == heard.known:
            return []
        recent = heard.recent
        if not recent or recent[0].seq > after_seq + 1:
            return None
        return [m for m in recent if m.seq > after_seq]

    def clear(self) -> None:
        for stream in self._streams:
            self.forget(stream)

    def sweep(self, now: float) -> int:
        """Drop streams no local reader asked for within ``idle_seconds``; returns how many."""
        idle = [s for s, h in self._streams.items() if now - h.last_read > self._idle]
        for stream in idle:
            del self._streams[stream]
        return len(idle)
