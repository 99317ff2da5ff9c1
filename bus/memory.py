"""The in-process event bus: one queue and one supervised consumer task per group.

``publish`` only enqueues (a slow handler never blocks a publisher); each group consumes its own
queue in publish order, through a :class:`bus.ordering.KeyedRunner` (one event at a time, or up
to the group's ``concurrency`` in order per call, agent and customer, as on the Redis bus). Events
published before :meth:`InProcessBus.start` wait in the queues.
``stop`` lets the queues drain for up to ``drain_timeout`` s, then cancels the consumers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence

from bus.base import E, Handler, default_group
from bus.dispatch import Subscriptions, dispatch
from bus.ordering import KeyedRunner, ordering_keys
from domain.events import Event
from runtime.supervisor import TaskSupervisor

log = logging.getLogger(__name__)


class InProcessBus:
    def __init__(
        self,
        supervisor: TaskSupervisor | None = None,
        *,
        max_attempts: int = 3,
        retry_delay: float = 0.05,
        drain_timeout: float = 5.0,
    ) -> None:
        self._supervisor = supervisor or TaskSupervisor()
        self._subs = Subscriptions()
        self._queues: dict[str, asyncio.Queue[Event]] = {}
        self._groups_by_type: dict[type[Event], list[str]] = {}
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._drain_timeout = drain_timeout
        self._started = False
        self._stopped = False
        self._task_names: dict[str, str] = {}
        self._generation = 0

    def subscribe(self, event_type: type[E], handler: Handler[E], *, group: str | None = None,
                  concurrency: int = 1) -> None:
        group = group or default_group(handler)
        self._subs.add(event_type, handler, group, concurrency)
        self._groups_by_type.clear()
        if group not in self._queues:
            self._queues[group] = asyncio.Queue()
            if self._started:
                self._spawn(group)

    async def publish(self, event: Event) -> None:
        if self._stopped:
            log.warning("bus stopped; dropping %s", event.type_name)
            return
        groups = self._groups_by_type.get(type(event))
        if groups is None:
            groups = self._groups_by_type[type(event)] = self._subs.groups_for(type(event))
        for group in groups:
            self._queues[group].put_nowait(event)

    async def publish_many(self, events: Sequence[Event]) -> None:
        for event in events:
            await self.publish(event)

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        for group in self._queues:
            self._spawn(group)

    async def stop(self) -> None:
        """Drain what is queued (bounded by ``drain_timeout``), then stop the consumers."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            drains = [asyncio.ensure_future(q.join()) for q in self._queues.values()]
            if drains:
                _, pending = await asyncio.wait(drains, timeout=self._drain_timeout)
                for fut in pending:
                    fut.cancel()
                if pending:
                    left = sum(q.qsize() for q in self._queues.values())
                    log.warning("bus stop: %d event(s) left undelivered after %.1f s",
                                left, self._drain_timeout)
        await self._supervisor.cancel(*self._task_names.values())

    async def leave(self, group: str) -> None:
        """Stop the group's consumer; what was queued for it here is dropped."""
        self._subs.remove_group(group)
        self._groups_by_type.clear()
        self._queues.pop(group, None)
        name = self._task_names.pop(group, None)
        if name is not None:
            await self._supervisor.cancel(name)

    def lag(self) -> dict[str, int]:
        """Events queued per group, not yet taken by its handler (``bus.lag``: the metrics)."""
        return {g: q.qsize() for g, q in self._queues.items()}

    def _spawn(self, group: str) -> None:
        self._generation += 1
        name = f"bus.memory:{group}:{id(self):x}:{self._generation}"
        self._task_names[group] = name
        queue = self._queues[group]
        self._supervisor.spawn(name, lambda: self._consume(group, queue))

    async def _consume(self, group: str, queue: asyncio.Queue[Event]) -> None:
        runner = KeyedRunner(f"bus.memory:{group}", self._subs.concurrency(group))
        try:
            while True:
                event = await queue.get()
                await runner.submit(ordering_keys(event), functools.partial(self._handle, group, queue, event))
        finally:
            await runner.cancel()

    async def _handle(self, group: str, queue: asyncio.Queue[Event], event: Event) -> None:
        try:
            subs = self._subs.matching(group, type(event))
            await dispatch(event, subs, max_attempts=self._max_attempts, retry_delay=self._retry_delay)
        except Exception:  # dispatch logs handler errors itself; this is a bug guard
            log.exception("bus group %s failed on %s", group, event.type_name)
        finally:
            queue.task_done()
