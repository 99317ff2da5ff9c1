"""Typed, frozen events that cross the bus.

Every event is a frozen dataclass with a stable wire name (``type_name``) so the Redis bus can carry
it between processes. Subclasses register themselves: ``class CallEnded(Event, type_name="call.ended")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type[Event]] = {}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every bus event. ``at`` is when it happened (UTC)."""

    type_name: ClassVar[str] = "event"
    at: datetime = field(default_factory=utcnow)

    def __init_subclass__(cls, type_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if type_name is not None:
            if type_name in EVENT_TYPES and EVENT_TYPES[type_name] is not cls:
                raise TypeError(f"event type name {type_name!r} registered twice")
            cls.type_name = type_name
            EVENT_TYPES[type_name] = cls
