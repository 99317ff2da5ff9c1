"""Call records converge from events in any order, and a replayed event changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.events import (
    AgentConnected,
    AgentRinging,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    Direction,
    EndCause,
)
from store.db import Database
from store.models import CallRecord, Role, User
from store.repositories.call_log import CallLog

T0 = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def _answered_call(call_id: str) -> list[CallEvent]:
    return [
        CallOffered(call_id=call_id, at=T0, direction=Direction.INBOUND,
                    caller_number="0712345678", dialed_number="0800123456"),
        CallQueued(call_id=call_id, at=T0 + timedelta(seconds=2), queue="collections",
                   position=1, caller_number="0712345678"),
        AgentRinging(call_id=call_id, at=T0 + timedelta(seconds=3), device="PJSIP/1001",
                     member_name="agent1", queue="collections", caller_number="0712345678",
                     dialed_number="0800123456", direction=Direction.INBOUND),
        AgentConnected(call_id=call_id, at=T0 + timedelta(seconds=6), device="PJSIP/1001",
                       queue="collections", hold_seconds=4, ring_seconds=3),
        CallEnded(call_id=call_id, at=T0 + timedelta(seconds=66), cause=EndCause.NORMAL,
                  cause_code=16, talk_seconds=60),
    ]


async def _row(database: Database, call_id: str) -> CallRecord:
    async with database.session() as s:
        return (await s.execute(select(CallRecord).where(CallRecord.call_id == call_id))).scalar_one()


async def test_answered_call_recorded_with_times_in_any_order(database: Database) -> None:
    async with database.session() as s:
        s.add(User(username="agent1", display_name="A", role=Role.AGENT, password_hash="x",
                   extension="PJSIP/1001"))
    log = CallLog(database, "KE")
    events = _answered_call("ast/1")
    for n, order in enumerate(itertools.islice(itertools.permutations(events), 0, 120, 17)):
        call_id = f"ast/{n}"
        for ev in order:
            await log.record(type(ev)(**{**ev.__dict__, "call_id": call_id}))
        row = await _row(database, call_id)
        assert row.caller_number == "+254712345678"
        assert row.queue == "collections"
        assert row.offered_at == T0
        assert row.answered_at == T0 + timedelta(seconds=6)
        assert row.ended_at == T0 + timedelta(seconds=66)
        assert (row.hold_seconds, row.ring_seconds, row.talk_seconds) == (4, 3, 60)
        assert (row.cause, row.cause_code, row.abandoned) == ("normal", 16, False)
        assert row.device == "PJSIP/1001" and row.agent_id is not None


async def test_replayed_events_change_nothing_and_abandon_sticks(database: Database) -> None:
    log = CallLog(database, "KE")
    events: list[CallEvent] = [
        CallOffered(call_id="ast/9", at=T0, direction=Direction.INBOUND,
                    caller_number="0712345678", dialed_number="0800123456"),
        CallAbandoned(call_id="ast/9", at=T0 + timedelta(seconds=20), queue="collections",
                      position=1, hold_seconds=20),
        CallEnded(call_id="ast/9", at=T0 + timedelta(seconds=21), cause=EndCause.NORMAL, cause_code=16),
    ]
    for ev in events + events:
        await log.record(ev)
    row = await _row(database, "ast/9")
    assert row.abandoned is True
    assert row.cause == "abandoned"
    assert row.hold_seconds == 20
    assert row.ended_at == T0 + timedelta(seconds=20)
    async with database.session() as s:
        count = len((await s.execute(select(CallRecord))).scalars().all())
    assert count == 1
