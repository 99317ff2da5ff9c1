"""The agent state log written by presence on SQLite and PostgreSQL: one entry per change of state,
reason or call (a view pushed again is not a new entry), through the ring path's statement."""

from __future__ import annotations

from sqlalchemy import select

from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from domain.events import AgentConnected, AgentRinging, CallEnded, Direction, EndCause
from live.presence import PresenceService
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import AgentStateEntry, Role, User
from store.repositories.agent_activity import StateLog


async def test_presence_changes_are_logged_once_each(database: Database) -> None:
    async with database.session() as s:
        user = User(username="agent1", display_name="Agent One", role=Role.AGENT, password_hash="x",
                    extension="PJSIP/1001", queues=["collections"])
        s.add(user)
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    presence = PresenceService(database, bus, MemoryOutbox(), wrapup_seconds=60, is_pause_code=lambda c: c == "lunch",
                               on_change=StateLog(database).record)
    try:
        await presence.request("agent1", "ready", None)
        await presence.request("agent1", "ready", None)  # the same state again: no new entry
        await presence.request("agent1", "paused", "lunch")
        await presence.request("agent1", "ready", None)
        ring = AgentRinging(call_id="c-1", device="PJSIP/1001", member_name=None, queue="collections",
                            caller_number="+254712345678", dialed_number="100", direction=Direction.INBOUND)
        await presence.on_ringing(ring)
        await presence.on_ringing(ring)  # a redelivered ring moves nothing
        await presence.on_connected(AgentConnected(call_id="c-1", device="PJSIP/1001", queue="collections",
                                                   hold_seconds=3, ring_seconds=2))
        await presence.on_call_ended(CallEnded(call_id="c-1", cause=EndCause.NORMAL, cause_code=16))
    finally:
        await supervisor.stop()
    async with database.session() as s:
        rows = (await s.execute(select(AgentStateEntry.state, AgentStateEntry.reason, AgentStateEntry.call_id)
                                .order_by(AgentStateEntry.at, AgentStateEntry.id))).tuples().all()
    assert rows == [("ready", None, None), ("paused", "lunch", None), ("ready", None, None),
                    ("ringing", None, "c-1"), ("on_call", None, "c-1"), ("wrap_up", "wrap_up", "c-1")]
