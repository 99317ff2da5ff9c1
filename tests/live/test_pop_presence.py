"""The live layer in one process: ring -> pop (with matches) -> answer -> end -> wrap-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from bus.base import OutboxMessage
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from bus.outbox_names import SUPERVISORS, agent_stream
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentStateRequested,
    CallEnded,
    CallOffered,
    CallQueued,
    Direction,
    EndCause,
    Event,
    InteractionSaved,
)
from live.call_log import CallLogWriter
from live.pop import PopService
from live.presence import PresenceService
from live.wallboard import WallboardService
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import Contact, Customer, CustomerPhone, Loan, Relation, Role, User
from store.repositories.call_log import CallLog
from store.repositories.caller_lookup import StoreCallerLookup


@dataclass
class Live:
    bus: InProcessBus
    outbox: MemoryOutbox
    presence: PresenceService
    wallboard: WallboardService
    commands: list[AgentStateRequested]


@pytest.fixture
async def live(database: Database) -> AsyncIterator[Live]:
    async with database.session() as s:
        s.add(User(username="agent1", display_name="Agent One", role=Role.AGENT, password_hash="x",
                   extension="PJSIP/1001", queues=["collections"]))
        amina = Customer(name="Amina Wanjiru", name_lower="amina wanjiru", timezone="Africa/Nairobi")
        amina.phones.append(CustomerPhone(e164="+254712345678"))
        amina.contacts.append(Contact(relation=Relation.GUARANTOR, name="Otieno", phone_e164="+254722000111"))
        s.add(amina)
        await s.flush()
        s.add(Loan(customer_id=amina.id, external_ref="L1", product="solar", applied_amount=Decimal(5000),
                   principal=Decimal(5000), interest_amount=Decimal(500), balance=Decimal(3000),
                   start_date=date(2026, 1, 1), end_date=date(2026, 12, 1), days_past_due=12,
                   overdue_amount=Decimal("750.00"), currency="KES"))
    supervisor = TaskSupervisor()
    bus, outbox = InProcessBus(supervisor), MemoryOutbox()
    commands: list[AgentStateRequested] = []

    async def record(ev: AgentStateRequested) -> None:
        commands.append(ev)

    call_log = CallLog(database, "KE")
    presence = PresenceService(database, bus, outbox, wrapup_seconds=0, is_pause_code=lambda c: c == "lunch")
    pop = PopService(database, outbox, StoreCallerLookup(database, region="KE", default_timezone="Africa/Nairobi"),
                     region="KE")
    wallboard = WallboardService(database, outbox, timezone="Africa/Nairobi", service_level_seconds=20)
    for service in (presence, pop, wallboard):
        service.subscribe(bus)
    CallLogWriter(call_log, on_queue_changed=wallboard.queue_changed).subscribe(bus)
    bus.subscribe(AgentStateRequested, record)
    await bus.start()
    try:
        yield Live(bus, outbox, presence, wallboard, commands)
    finally:
        await bus.stop()
        await supervisor.stop()


async def _state(live: Live, wanted: str) -> None:
    """Presence runs in its own bus group: wait (bounded) until it has caught up."""
    async with asyncio.timeout(5):
        while (await live.presence.view_of("agent1")).state != wanted:
            await asyncio.sleep(0.02)


async def _command(live: Live, state: str, reason: str | None = None) -> AgentStateRequested:
    """The carrier command is recorded by another bus group: wait (bounded) for it."""
    async with asyncio.timeout(5):
        while not (live.commands and (live.commands[-1].state, live.commands[-1].reason) == (state, reason)):
            await asyncio.sleep(0.02)
    return live.commands[-1]


async def _until(outbox: MemoryOutbox, stream: str, kind: str, after: int = 0) -> OutboxMessage:
    async with asyncio.timeout(5):
        while True:
            for msg in await outbox.read(stream, after, 1.0):
                after = msg.seq
                if msg.type == kind:
                    return msg


def _ring(call_id: str, caller: str) -> list[Event]:
    return [
        CallOffered(call_id=call_id, direction=Direction.INBOUND, caller_number=caller, dialed_number="0800123456"),
        CallQueued(call_id=call_id, queue="collections", position=1, caller_number=caller),
        AgentRinging(call_id=call_id, device="PJSIP/1001", member_name="agent1", queue="collections",
                     caller_number=caller, dialed_number="0800123456", direction=Direction.INBOUND,
                     ivr=("main:1",)),
    ]


async def test_known_caller_pops_ringing_agent_then_answer_end_and_wrap_up(live: Live) -> None:
    await live.presence.request("agent1", "ready", None)
    assert (await _command(live, "ready")).queues == ("collections",)
    for ev in _ring("ast/1", "0712345678"):
        await live.bus.publish(ev)
    pop = await _until(live.outbox, agent_stream("agent1"), "call.ringing")
    assert pop.data["call_id"] == "ast/1"
    assert pop.data["caller_number"] == "+254712345678"
    assert pop.data["ivr"] == {"path": ["main:1"]}
    [match] = pop.data["matches"]
    assert (match["name"], match["relation"]) == ("Amina Wanjiru", "customer")
    assert match["summary"]["overdue_amount"] == "750.00" and match["summary"]["days_past_due"] == 12

    await live.bus.publish(AgentConnected(call_id="ast/1", device="PJSIP/1001", queue="collections",
                                          hold_seconds=3, ring_seconds=2))
    await _until(live.outbox, agent_stream("agent1"), "call.answered", pop.seq)
    await _state(live, "on_call")
    await live.bus.publish(CallEnded(call_id="ast/1", cause=EndCause.NORMAL, cause_code=16))
    ended = await _until(live.outbox, agent_stream("agent1"), "call.ended", pop.seq)
    assert ended.data["cause"] == "normal"
    await _state(live, "wrap_up")
    view = await live.presence.view_of("agent1")
    assert view.state == "wrap_up" and view.call_id == "ast/1"
    await _command(live, "paused", "wrap_up")
    await live.bus.publish(InteractionSaved(interaction_id=1, customer_id=1, operator="agent1", call_id="ast/1",
                                            status="contacted", reason="promise_to_pay", resolution=None))
    await _state(live, "ready")
    await _command(live, "ready")
    board = await live.wallboard.snapshot()
    [queue] = board["queues"]
    assert (queue["queue"], queue["answered"], queue["waiting"], queue["abandoned"]) == ("collections", 1, 0, 0)
    assert await live.outbox.last_seq(SUPERVISORS) > 0


async def test_guarantor_pops_the_customer_and_unknown_pops_nobody(live: Live) -> None:
    await live.presence.request("agent1", "ready", None)
    for ev in _ring("ast/2", "+254 722 000 111"):
        await live.bus.publish(ev)
    pop = await _until(live.outbox, agent_stream("agent1"), "call.ringing")
    assert [(m["name"], m["relation"]) for m in pop.data["matches"]] == [("Amina Wanjiru", "guarantor")]
    await _state(live, "ringing")
    await live.bus.publish(CallEnded(call_id="ast/2", cause=EndCause.ABANDONED, cause_code=16))
    await _state(live, "ready")  # rang, never answered
    for ev in _ring("ast/3", "0799999999"):
        await live.bus.publish(ev)
    pop2 = await _until(live.outbox, agent_stream("agent1"), "call.ringing", pop.seq)
    assert pop2.data["matches"] == []


async def test_pause_needs_a_known_code(live: Live) -> None:
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        await live.presence.request("agent1", "paused", "nap")
    view = await live.presence.request("agent1", "paused", "lunch")
    assert (view.state, view.reason) == ("paused", "lunch")
    await _command(live, "paused", "lunch")


async def test_call_ended_reaches_the_agent_after_a_ring_timeout_made_them_ready(live: Live) -> None:
    from domain.events import AgentState, AgentStateChanged

    await live.presence.request("agent1", "ready", None)
    for ev in _ring("ast/4", "0712345678"):
        await live.bus.publish(ev)
    pop = await _until(live.outbox, agent_stream("agent1"), "call.ringing")
    await _state(live, "ringing")
    # the member's ring times out: Asterisk reports the member idle again before the caller hangs up
    await live.bus.publish(AgentStateChanged(device="PJSIP/1001", state=AgentState.READY, queue="collections"))
    await _state(live, "ready")
    await live.bus.publish(CallEnded(call_id="ast/4", cause=EndCause.ABANDONED, cause_code=16))
    ended = await _until(live.outbox, agent_stream("agent1"), "call.ended", pop.seq)
    assert ended.data["call_id"] == "ast/4"
    assert ended.data["cause"] == "abandoned"


async def test_an_agent_without_a_presence_row_rings_and_answers(live: Live) -> None:
    """A device rung before its agent ever set a state (no presence row yet): one conditional
    statement creates the row as ringing, the answer moves it on, a stale ring changes nothing."""
    for ev in _ring("ast/5", "0712345678"):
        await live.bus.publish(ev)
    await _state(live, "ringing")
    ringing = await live.presence.view_of("agent1")
    assert (ringing.call_id, ringing.reason, ringing.device) == ("ast/5", None, "PJSIP/1001")
    await live.bus.publish(AgentConnected(call_id="ast/5", device="PJSIP/1001", queue="collections",
                                          hold_seconds=1, ring_seconds=1))
    await _state(live, "on_call")
    pushed = await _until(live.outbox, agent_stream("agent1"), "agent.state")
    assert pushed.data["username"] == "agent1" and pushed.data["display_name"] == "Agent One"
    await live.bus.publish(AgentRinging(call_id="ast/6", device="PJSIP/1001", member_name="agent1",
                                        queue="collections", caller_number="0712345678",
                                        dialed_number="0800123456", direction=Direction.INBOUND))
    await _until(live.outbox, agent_stream("agent1"), "call.ringing", pushed.seq)
    await asyncio.sleep(0.2)  # presence (its own bus group) has seen the ring by now
    view = await live.presence.view_of("agent1")
    assert (view.state, view.call_id) == ("on_call", "ast/5")  # on a call: a new ring does not move it
