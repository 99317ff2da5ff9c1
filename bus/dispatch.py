"""Subscriptions and handler dispatch shared by the in-process and the Redis bus.

A *group* receives each event once (across all workers, for the Redis bus); inside the worker that
got it, every handler of that group whose event type matches (``isinstance``, so subscribing to a
base class receives its subclasses) runs in subscription order. A handler that raises is retried
up to ``max_attempts`` times in total with a short doubling delay, then logged with the event type
and given up on; the group moves on to the next event. A handler that must never run twice for one
event (e.g. one that sends an Originate) catches its own errors instead of raising.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from bus.base import Handler
from domain.events import Event
from runtime.logging import bind_event, unbind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: type[Event]
    handler: Handler[Any]
    group: str

    @property
    def handler_name(self) -> str:
        return getattr(self.handler, "__qualname__", repr(self.handler))


class Subscriptions:
    def __init__(self) -> None:
        self._by_group: dict[str, list[Subscription]] = {}
        self._concurrency: dict[str, int] = {}

    def add(self, event_type: type[Event], handler: Handler[Any], group: str, concurrency: int = 1) -> Subscription:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        sub = Subscription(event_type, handler, group)
        self._by_group.setdefault(group, []).append(sub)
        self._concurrency[group] = max(concurrency, self._concurrency.get(group, 1))
        return sub

    def concurrency(self, group: str) -> int:
        """How many events of ``group`` may run at once (the largest any of its subscriptions asked)."""
        return self._concurrency.get(group, 1)

    def remove_group(self, group: str) -> None:
        self._by_group.pop(group, None)
        self._concurrency.pop(group, None)

    def groups(self) -> list[str]:
        return list(self._by_group)

    def in_group(self, group: str) -> list[Subscription]:
        return list(self._by_group.get(group, ()))

    def matching(self, group: str, event_type: type[Event]) -> list[Subscription]:
        return [s for s in self._by_group.get(group, ()) if issubclass(event_type, s.event_type)]

    def groups_for(self, event_type: type[Event]) -> list[str]:
        return [g for g, subs in self._by_group.items()
                if any(issubclass(event_type, s.event_type) for s in subs)]


@dataclass(frozen=True, slots=True)
class Failure:
    subscription: Subscription
    error: Exception


async def dispatch(
    event: Event, subs: list[Subscription], *, max_attempts: int = 3, retry_delay: float = 0.05
) -> list[Failure]:
    """Run each subscription's handler on ``event``; return those that failed every attempt.

    The handlers' log lines carry the event's call id and agent (:func:`runtime.logging.bind_event`).
    """
    context = bind_event(event)
    try:
        return await _dispatch(event, subs, max_attempts, retry_delay)
    finally:
        unbind(context)


async def _dispatch(event: Event, subs: list[Subscription], max_attempts: int, retry_delay: float) -> list[Failure]:
    failures: list[Failure] = []
    for sub in subs:
        attempt = 1
        while True:
            try:
                await sub.handler(event)
                break
            except Exception as exc:
                if attempt >= max_attempts:
                    log.exception(
                        "bus handler %s (group %s) failed on %s after %d attempt(s); giving up",
                        sub.handler_name, sub.group, event.type_name, attempt,
                    )
                    failures.append(Failure(sub, exc))
                    break
                log.warning(
                    "bus handler %s (group %s) failed on %s (attempt %d/%d): %r; retrying",
                    sub.handler_name, sub.group, event.type_name, attempt, max_attempts, exc,
                )
                await asyncio.sleep(retry_delay * 2 ** (attempt - 1))
                attempt += 1
    return failures
