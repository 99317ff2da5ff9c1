"""The event bus contract and the per-stream outbox contract.

``EventBus``: typed events between components (cti, dialer, ivr, agent_ui never import each other).
Each *group* receives each event once across all workers (competing consumers); the default group
is the handler's qualified name, so one handler runs once per event in the whole cluster. A
per-worker consumer uses a per-worker group name.

``Outbox``: ordered, numbered messages for sockets (``agent:<username>``, ``supervisors``). Every
reader sees every message (fan-out), ``seq`` rises by one per stream, and a reader can resume
after any ``seq`` it saw, so a pop survives a reconnect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from domain.events import Event

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


class EventBus(Protocol):
    def subscribe(self, event_type: type[E], handler: Handler[E], *, group: str | None = None) -> None:
        """Register before :meth:`start`. Subclasses of ``event_type`` are delivered too."""

    async def publish(self, event: Event) -> None:
        """Hand the event to the bus; it is durable (Redis) or queued (memory) on return."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    seq: int
    type: str
    data: dict[str, Any]

    def to_json_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "data": self.data}


class Outbox(Protocol):
    async def append(self, stream: str, type: str, data: dict[str, Any]) -> int:
        """Append and return the new message's seq (1, 2, 3 ... per stream)."""

    async def read(self, stream: str, after_seq: int, timeout: float) -> list[OutboxMessage]:
        """Messages with seq > after_seq, waiting up to ``timeout`` s for the first one."""

    async def last_seq(self, stream: str) -> int: ...
