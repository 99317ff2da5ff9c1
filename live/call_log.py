"""The call log's owner: every call event, in its own bus group, written to the store.

The store's :class:`~store.repositories.call_log.CallLog` turns each event into one upsert of the
call's record, with per-field rules that make the log converge whatever order the events arrive
in (a call's own events keep their order: the bus runs one call's events one after the other). So
the log relies on no other group: not the pop's, which may create the record first when it links
the caller, nor the wallboard's, which only hears which queue changed.
"""

from __future__ import annotations

from collections.abc import Callable

from bus.base import EventBus
from domain.events import CallEvent
from store.repositories.call_log import RECORDED_EVENTS, CallLog

CALL_LOG_GROUP = "call-log"
CALL_LOG_CONCURRENCY = 4  # calls at once; one call's events stay in order


class CallLogWriter:
    """Subscribes the call events and records them; ``on_queue_changed`` hears the queue of each
    recorded event that has one (the wallboard recomputes that queue's figures on its next tick)."""

    def __init__(self, call_log: CallLog, *, on_queue_changed: Callable[[str], None] | None = None) -> None:
        self._call_log = call_log
        self._on_queue_changed = on_queue_changed

    def subscribe(self, bus: EventBus, *, group: str = CALL_LOG_GROUP) -> None:
        for event_type in RECORDED_EVENTS:
            bus.subscribe(event_type, self.on_call_event, group=group, concurrency=CALL_LOG_CONCURRENCY)

    async def on_call_event(self, event: CallEvent) -> None:
        queue = await self._call_log.record(event)
        if queue is not None and self._on_queue_changed is not None:
            self._on_queue_changed(queue)
