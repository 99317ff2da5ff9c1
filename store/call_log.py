"""Call records written from call events, in any order and at least once.

Each event sets only the fields it knows, so the record converges whatever order the events
arrive in (the Redis bus orders per event type, not across types) and a replayed event changes
nothing. Two workers racing to create the same row: the loser retries as an update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import (
    AgentConnected,
    AgentRinging,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    EndCause,
    IvrInput,
)
from domain.phone import to_e164
from store.db import Database
from store.models import CallRecord, DialAttempt, User


def _earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


class CallLog:
    def __init__(self, database: Database, region: str) -> None:
        self._db = database
        self._region = region

    def _number(self, raw: str | None) -> str | None:
        if not raw:
            return None
        return to_e164(raw, self._region) or raw

    async def record(self, event: CallEvent) -> None:
        for attempt in range(3):
            try:
                async with self._db.session() as session:
                    await self._apply(session, event)
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    async def _apply(self, session: AsyncSession, event: CallEvent) -> None:
        row = (
            await session.execute(select(CallRecord).where(CallRecord.call_id == event.call_id))
        ).scalar_one_or_none()
        if row is None:
            row = CallRecord(
                call_id=event.call_id, direction="inbound", carrier=event.carrier,
                server=event.server, offered_at=event.at, ivr=[],
            )
            if event.call_id.startswith("sb-"):
                row.direction, row.attempt_id = "outbound", event.call_id
                # our own dial knows its customer (the pop's link may run before this row exists)
                row.customer_id = await session.scalar(
                    select(DialAttempt.customer_id).where(DialAttempt.id == event.call_id))
            session.add(row)
        row.offered_at = _earliest(row.offered_at, event.at)
        match event:
            case CallOffered():
                self._offered(row, event)
            case IvrInput():
                choice = f"{event.menu}:{event.digit}"
                if choice not in row.ivr:
                    row.ivr = [*row.ivr, choice]
            case CallQueued():
                row.queue = event.queue
                row.queued_at = _earliest(row.queued_at, event.at)
                row.caller_number = row.caller_number or self._number(event.caller_number)
            case AgentRinging():
                row.queue = row.queue or event.queue
                row.caller_number = row.caller_number or self._number(event.caller_number)
                if row.answered_at is None:  # the agent who answers wins over those who only rang
                    row.device = event.device
                    row.agent_id = await _agent_id(session, event.device)
            case AgentConnected():
                await self._connected(session, row, event)
            case CallEnded():
                self._ended(row, event)
            case CallAbandoned():
                row.abandoned = True
                row.cause = EndCause.ABANDONED.value
                row.queue = row.queue or event.queue
                row.hold_seconds = event.hold_seconds
                row.ended_at = row.ended_at or event.at

    def _offered(self, row: CallRecord, ev: CallOffered) -> None:
        row.direction = ev.direction.value
        row.caller_number = row.caller_number or self._number(ev.caller_number)
        row.dialed_number = row.dialed_number or self._number(ev.dialed_number)

    async def _connected(self, session: AsyncSession, row: CallRecord, ev: AgentConnected) -> None:
        row.device = ev.device
        row.agent_id = await _agent_id(session, ev.device)
        row.answered_at = _earliest(row.answered_at, ev.at)
        row.hold_seconds = ev.hold_seconds if ev.hold_seconds is not None else row.hold_seconds
        row.ring_seconds = ev.ring_seconds if ev.ring_seconds is not None else row.ring_seconds
        row.queue = row.queue or ev.queue

    def _ended(self, row: CallRecord, ev: CallEnded) -> None:
        row.ended_at = row.ended_at or ev.at
        if not row.abandoned:
            row.cause = ev.cause.value
        row.cause_code = ev.cause_code if ev.cause_code is not None else row.cause_code
        if ev.talk_seconds is not None:
            row.talk_seconds = ev.talk_seconds
        elif row.talk_seconds is None and row.answered_at is not None:
            row.talk_seconds = max(0, int((ev.at - row.answered_at).total_seconds()))
        if ev.cause is EndCause.ABANDONED:
            row.abandoned = True

    async def link_customer(self, call_id: str, customer_id: int, at: datetime) -> None:
        """Remember the matched customer (the pop's first match). The pop and the call log consume
        independently, so the row may not exist yet: create it then (the log fills in the rest)."""
        for attempt in range(3):
            try:
                async with self._db.session() as session:
                    row = (
                        await session.execute(select(CallRecord).where(CallRecord.call_id == call_id))
                    ).scalar_one_or_none()
                    if row is None:
                        session.add(CallRecord(call_id=call_id, direction="inbound", offered_at=at, ivr=[],
                                               customer_id=customer_id))
                    elif row.customer_id is None:
                        row.customer_id = customer_id
                return
            except IntegrityError:
                if attempt == 2:
                    raise


async def _agent_id(session: AsyncSession, device: str) -> int | None:
    return (await session.execute(select(User.id).where(User.extension == device))).scalar_one_or_none()
