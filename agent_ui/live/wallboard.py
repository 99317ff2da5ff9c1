"""The supervisor wallboard, pushed from the event stream (no polling).

Call events are applied to the call log first and then the queue's figures are recomputed and
pushed to the ``supervisors`` stream, in the same handler, so the figures never lag the record.
Agent states reach the same stream from the presence service.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.live.presence import SUPERVISORS
from bus.base import EventBus, Outbox
from domain.events import (
    AgentConnected,
    AgentRinging,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    InteractionSaved,
    IvrInput,
    PaymentReceived,
    utcnow,
)
from store.call_log import CallLog
from store.db import Database
from store.models import CallRecord
from store.presence import PresenceRepository
from store.wallboard_queries import promises_today, queue_stats

CALL_EVENTS: tuple[type[CallEvent], ...] = (
    CallOffered, IvrInput, CallQueued, AgentRinging, AgentConnected, CallEnded, CallAbandoned,
)


class WallboardService:
    def __init__(self, database: Database, outbox: Outbox, call_log: CallLog, *, timezone: str,
                 service_level_seconds: int) -> None:
        self._db, self._outbox, self._call_log = database, outbox, call_log
        self._tz, self._sl = timezone, service_level_seconds

    def subscribe(self, bus: EventBus) -> None:
        for event_type in CALL_EVENTS:
            bus.subscribe(event_type, self.on_call_event, group="call-log")
        bus.subscribe(InteractionSaved, self.on_money_event, group="wallboard-promises")
        bus.subscribe(PaymentReceived, self.on_money_event, group="wallboard-promises")

    async def on_call_event(self, event: CallEvent) -> None:
        await self._call_log.record(event)
        async with self._db.session() as session:
            queue = (await session.get(CallRecord, await _record_id(session, event.call_id)))
            name = queue.queue if queue is not None else None
            if name is None:
                return
            stats = await queue_stats(session, now=utcnow(), tz=self._tz, sl_seconds=self._sl, queue=name)
        for item in stats:
            await self._outbox.append(SUPERVISORS, "wallboard.queue", item.to_json())

    async def on_money_event(self, _event: InteractionSaved | PaymentReceived) -> None:
        async with self._db.session() as session:
            data = await promises_today(session, now=utcnow(), tz=self._tz)
        await self._outbox.append(SUPERVISORS, "wallboard.promises", data)

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


async def _record_id(session: AsyncSession, call_id: str) -> int | None:
    found: int | None = (
        await session.execute(select(CallRecord.id).where(CallRecord.call_id == call_id))
    ).scalar()
    return found
