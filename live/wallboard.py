"""The supervisor wallboard, pushed from the event stream (no polling).

The call log (:mod:`live.call_log`) tells it which queue a call event changed; one supervised loop
(:meth:`WallboardService.run`) recomputes the dirty queues' figures at most every
``FLUSH_SECONDS`` with one aggregate query and pushes ``wallboard.queue`` to the ``supervisors``
stream, so a busy queue costs one query per tick, not one per event. Agent states reach the same
stream from the presence service.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bus.base import EventBus, Outbox
from bus.outbox_names import SUPERVISORS, WALLBOARD_PROMISES, WALLBOARD_QUEUE
from domain.clock import local_today
from domain.events import InteractionSaved, PaymentReceived, PromiseRecorded, utcnow
from store.db import Database
from store.repositories.presence import PresenceRepository
from store.repositories.wallboard_queries import promises_today, queue_stats

FLUSH_SECONDS = 0.5


class WallboardService:
    def __init__(self, database: Database, outbox: Outbox, *, timezone: str, service_level_seconds: int) -> None:
        self._db, self._outbox = database, outbox
        self._tz, self._sl = timezone, service_level_seconds
        self._dirty: set[str] = set()
        self._promises_dirty = False
        self._day = local_today(timezone)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(InteractionSaved, self.on_money_event, group="wallboard-promises")
        bus.subscribe(PaymentReceived, self.on_money_event, group="wallboard-promises")
        bus.subscribe(PromiseRecorded, self.on_money_event, group="wallboard-promises")

    def queue_changed(self, queue: str) -> None:
        """A call event changed ``queue``: its figures are pushed by the next flush."""
        self._dirty.add(queue)

    async def flush(self) -> int:
        """Push the figures of the queues changed since the last flush; returns how many."""
        if local_today(self._tz) != self._day:  # "due today" and "made today" start over at midnight
            self._promises_dirty = True
        if self._promises_dirty:  # payments and notes: one figure per tick, not one per event
            self._promises_dirty = False
            try:
                await self.push_promises()
            except BaseException:
                self._promises_dirty = True
                raise
        if not self._dirty:
            return 0
        queues, self._dirty = self._dirty, set()
        try:
            async with self._db.session() as session:
                stats = await queue_stats(session, now=utcnow(), tz=self._tz, sl_seconds=self._sl, queues=queues)
            for item in stats:
                await self._outbox.append(SUPERVISORS, WALLBOARD_QUEUE, item.to_json())
        except BaseException:
            self._dirty |= queues  # pushed again next time
            raise
        return len(stats)

    async def run(self, every: float = FLUSH_SECONDS) -> None:
        """The flush loop (run under the task supervisor, which logs and restarts on failure)."""
        while True:
            await asyncio.sleep(every)
            await self.flush()

    async def on_money_event(self, _event: InteractionSaved | PaymentReceived | PromiseRecorded) -> None:
        self._promises_dirty = True  # pushed by the next flush (M-Pesa may bring hundreds a second)

    async def push_promises(self) -> None:
        self._day = local_today(self._tz)
        async with self._db.session() as session:
            data = await promises_today(session, now=utcnow(), tz=self._tz)
        await self._outbox.append(SUPERVISORS, WALLBOARD_PROMISES, data)

    async def snapshot(self) -> dict[str, Any]:
        now = utcnow()
        async with self._db.session() as session:
            queues = await queue_stats(session, now=now, tz=self._tz, sl_seconds=self._sl)
            agents = await PresenceRepository(session).all_views()
            promises = await promises_today(session, now=now, tz=self._tz)
        return {
            "at": now.isoformat(),
            "seq": await self._outbox.last_seq(SUPERVISORS),
            "queues": [q.to_json() for q in queues],
            "agents": [a.to_json() for a in agents],
            "promises_today": promises,
            "service_level_seconds": self._sl,
        }

