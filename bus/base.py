"""The event bus contract and the per-stream outbox contract.

``EventBus``: typed events between components (cti, dialer, ivr, agent_ui never import each other).
Each *group* receives each event once across all workers (competing consumers); the default group
is the handler's qualified name, so one handler runs once per event in the whole cluster. A
per-worker consumer uses a per-worker group name.

``Outbox``: ordered, numbered messages for sockets (``agent:<username>``, ``supervisors``). Every
reader sees every message (fan-out), ``seq`` rises by one per stream, and a reader can resume
after any ``seq`` it saw, so a pop survives a reconnect.

``Lease``: a named, expiring lock so that exactly one worker holds each AMI connection.

Implementations: :mod:`bus.memory`, :mod:`bus.outbox`, :mod:`bus.lease` (in-process) and
:mod:`bus.redis_streams`, :mod:`bus.redis_outbox`, :mod:`bus.lease` (Redis); built by
:func:`bus.factory.build_bus`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from domain.errors import StoreUnavailable
from domain.events import Event

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


class BusUnavailable(StoreUnavailable):
    """Redis (bus, outbox or lease) cannot be reached; converted from redis exceptions."""

    error_id = "bus-unavailable"


def default_group(handler: Callable[..., Awaitable[None]]) -> str:
    """The group a handler gets when none is given: its module-qualified name."""
    func = getattr(handler, "__func__", handler)
    module = getattr(func, "__module__", None) or "?"
    qualname = getattr(func, "__qualname__", None) or repr(func)
    return f"{module}.{qualname}"


class EventBus(Protocol):
    def subscribe(self, event_type: type[E], handler: Handler[E], *, group: str | None = None,
                  concurrency: int = 1) -> None:
        """Register (before :meth:`start`, or later: the group then starts consuming at once).

        Subclasses of ``event_type`` are delivered too. ``group`` defaults to
        :func:`default_group` of the handler. ``concurrency`` > 1 lets the group run that many
        events at once in this process, still in order per call, per agent and per customer
        (:mod:`bus.ordering`); only for handlers that are right for different calls in any order.
        """

    async def leave(self, group: str) -> None:
        """Stop consuming ``group`` in this process and drop its handlers here.

        Other workers of the group carry on; with Redis, events for the group keep waiting in the
        stream for whoever subscribes to it next (e.g. the next holder of a lease).
        """

    async def publish(self, event: Event) -> None:
        """Hand the event to the bus; it is durable (Redis) or queued (memory) on return."""

    async def publish_many(self, events: Sequence[Event]) -> None:
        """:meth:`publish` each in turn, in one round trip where the backend has them (a batch of
        payments). On a failure some of them may have been published; it raises as ``publish``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class OutboxMessage:
    """One numbered message of an outbox stream.

    ``data`` is held either as the dict that was appended in this process, or as the JSON text it
    was stored as (Redis): a socket sends :meth:`to_wire` without parsing and re-encoding it, and
    the recent messages a worker keeps (:mod:`bus.outbox_cache`) are one string each rather than
    a tree of dicts for the garbage collector to walk. ``data`` parses the text when asked.
    """

    __slots__ = ("_data", "_text", "seq", "type")

    def __init__(self, seq: int, type: str, data: dict[str, Any] | None = None, *, text: str | None = None) -> None:
        if (data is None) == (text is None):
            raise ValueError("an outbox message has its data as a dict or as JSON text, one of them")
        self.seq, self.type, self._data, self._text = seq, type, data, text

    @property
    def data(self) -> dict[str, Any]:
        if self._data is not None:
            return self._data
        assert self._text is not None
        parsed: dict[str, Any] = json.loads(self._text)
        return parsed

    def to_json_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "data": self.data}

    def to_wire(self) -> str:
        """The socket frame ``{"seq":..,"type":..,"data":..}`` as JSON text."""
        text = self._text if self._text is not None else json.dumps(self._data, separators=(",", ":"))
        return f'{{"seq":{self.seq},"type":{json.dumps(self.type)},"data":{text}}}'

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutboxMessage):
            return NotImplemented
        return (self.seq, self.type, self.data) == (other.seq, other.type, other.data)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OutboxMessage(seq={self.seq}, type={self.type!r}, data={self.data!r})"


class Outbox(Protocol):
    async def append(self, stream: str, type: str, data: dict[str, Any]) -> int:
        """Append and return the new message's seq (1, 2, 3 ... per stream)."""

    async def append_many(self, messages: Sequence[tuple[str, str, dict[str, Any]]]) -> list[int]:
        """:meth:`append` each ``(stream, type, data)`` in turn, in one round trip where the
        backend has them; returns their seqs."""

    async def append_once(self, stream: str, type: str, data: dict[str, Any], *, key: str,
                          ttl: float) -> int | None:
        """Append unless ``key`` was used on ``stream`` within ``ttl`` s (by any worker): the new
        seq, or None for a repeat. Check and append are one step, so a frame that several workers
        (or a redelivered event) try to send goes out exactly once."""

    async def read(self, stream: str, after_seq: int, timeout: float) -> list[OutboxMessage]:
        """Messages with seq > after_seq, waiting up to ``timeout`` s for the first one.

        Returns at once when there are any (all retained ones, oldest first), else waits; ``[]``
        after the timeout. Only the last ``retention`` messages per stream are kept: a reader
        asking for an older seq gets what remains (its first seq is then > after_seq + 1, a gap
        the caller can see). If ``after_seq`` is beyond the stream's last seq (the stream was
        reset, e.g. the in-process outbox restarted or the Redis keys expired), it reads from
        the start, so seq visibly goes back down.
        """

    async def last_seq(self, stream: str) -> int: ...


class Lease(Protocol):
    async def try_acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take the lease for ``ttl`` s if it is free or already ours (then it is extended)."""

    async def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Extend to ``ttl`` s from now, only if ``holder`` still holds it."""

    async def release(self, name: str, holder: str) -> bool:
        """Give it up, only if ``holder`` holds it; True if it was released."""

    async def holder(self, name: str) -> str | None: ...
