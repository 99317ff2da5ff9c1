"""Every (state, event) pair of the agent state machine, against the table and against the service.

``EXPECTED`` writes out, pair by pair, what presence did before the table existed (the oracle):
the table must say the same. Then each pair is played on a real database through the presence
service's own entry points (a desktop request, a supervisor's force, a carrier event, a saved
outcome, the wrap-up timer), and the row, the pause reason, the call, the end-of-call stamp and
the command the carrier is sent must be the table's move, or nothing at all where it has none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from bus.outbox import MemoryOutbox
from domain.agent_state import (
    ASKABLE,
    FORCEABLE,
    ON_A_CALL,
    REAPPLY,
    TRANSITIONS,
    WITH_A_CALL,
    AgentEvent,
    AgentState,
    Move,
    PauseReason,
    ends_call_from,
    sources,
    transition,
)
from domain.errors import InvalidInput
from domain.events import (
    AgentConnected,
    AgentLeftCall,
    AgentRinging,
    AgentStateChanged,
    AgentStateRequested,
    CallEnded,
    Direction,
    EndCause,
    Event,
    InteractionSaved,
    utcnow,
)
from live.presence import PresenceService
from store.db import Database
from store.models import AgentPresence, Role, User

S, E = AgentState, AgentEvent
LO, RD, PA, RG, OC, WU = S.LOGGED_OUT, S.READY, S.PAUSED, S.RINGING, S.ON_CALL, S.WRAP_UP
_ASK = {E.ASK_PAUSE: (PA, PA, None, False), E.ASK_LOGOUT: (LO, LO, None, False),
        E.FORCE_PAUSE: (PA, PA, None, False), E.FORCE_LOGOUT: (LO, LO, None, False)}
_WRAP = (WU, PA, PauseReason.WRAP_UP, True)
# state -> event -> (new state, what the carrier is told, the move's own reason, ends a call)
EXPECTED: dict[AgentState, dict[AgentEvent, tuple[AgentState, AgentState | None, PauseReason | None, bool]]] = {
    LO: {**_ASK, E.ASK_READY: (RD, RD, None, False), E.FORCE_READY: (RD, RD, None, False),
         E.RING: (RG, None, None, False), E.CONNECT: (OC, None, None, False)},
    RD: {**_ASK, E.ASK_READY: (RD, RD, None, False), E.FORCE_READY: (RD, RD, None, False),
         E.RING: (RG, None, None, False), E.CONNECT: (OC, None, None, False),
         E.CARRIER_LOGGED_OUT: (LO, None, None, False)},
    PA: {**_ASK, E.ASK_READY: (RD, RD, None, False), E.FORCE_READY: (RD, RD, None, False),
         E.CONNECT: (OC, None, None, False), E.CARRIER_LOGGED_OUT: (LO, None, None, False)},
    RG: {**_ASK, E.FORCE_READY: (RD, RD, None, False), E.CONNECT: (OC, None, None, False),
         E.CALL_ENDED: (RD, None, None, False), E.CARRIER_READY: (RD, None, None, False),
         E.CARRIER_LOGGED_OUT: (LO, None, None, False)},
    OC: {**_ASK, E.FORCE_READY: (RD, RD, None, True), E.CALL_ENDED: _WRAP, E.LEFT_CALL: _WRAP},
    WU: {**_ASK, E.ASK_READY: (RD, RD, None, True), E.FORCE_READY: (RD, RD, None, True),
         E.OUTCOME_SAVED: (RD, RD, None, True), E.WRAP_UP_EXPIRED: (RD, RD, None, True)},
}
PAIRS = [(state, event) for state in AgentState for event in AgentEvent]
DEVICE, CALL, NEW_CALL, OTHER_CALL = "PJSIP/1001", "c-1", "c-2", "c-9"


def test_the_table_is_the_behaviour_written_out_pair_by_pair() -> None:
    assert set(TRANSITIONS) == set(AgentState)
    for state, event in PAIRS:
        move = transition(state, event)
        want = EXPECTED[state].get(event)
        got = None if move is None else (move.to, move.carrier, move.reason, move.ends_call)
        assert got == want, (state, event)


def test_the_groups_and_the_sql_sources_come_from_the_table() -> None:
    assert sources(E.RING) == (LO, RD) and sources(E.CONNECT) == (LO, RD, PA, RG)
    assert sources(E.CARRIER_READY) == (RG,) and sources(E.CARRIER_LOGGED_OUT) == (RD, PA, RG)
    assert sources(E.WRAP_UP_EXPIRED) == (WU,) and ends_call_from(E.WRAP_UP_EXPIRED) == (WU,)
    assert sources(E.CALL_ENDED, RD) == (RG,) and sources(E.CALL_ENDED, WU) == (OC,)
    assert {RG, OC} == ON_A_CALL and {RG, OC, WU} == WITH_A_CALL
    # the desktop may not ask for ready while the call holds the agent; a supervisor always may
    assert {s for s in AgentState if transition(s, E.ASK_READY) is None} == ON_A_CALL
    assert all(transition(s, e) is not None for s in AgentState for e in FORCEABLE.values())
    assert set(ASKABLE) == set(FORCEABLE) == {RD, PA, LO}
    # the carrier is only ever asked for ready, paused or logged out
    carried = {m.carrier for moves in TRANSITIONS.values() for m in moves.values()}
    assert carried == {None, RD, PA, LO}
    assert REAPPLY == {LO: None, RD: (RD, None), PA: (PA, None), RG: (RD, None), OC: (RD, None),
                       WU: (PA, PauseReason.WRAP_UP)}
    wrap = Move(WU, carrier=PA, reason=PauseReason.WRAP_UP)
    assert wrap.carrier_reason("lunch") == "wrap_up" and Move(PA, carrier=PA).carrier_reason("lunch") == "lunch"
    assert Move(RD, carrier=RD).carrier_reason("lunch") is None


@dataclass
class RecordingBus:
    """What presence publishes (the carrier commands), kept in order; nothing is delivered."""

    published: list[Event] = field(default_factory=list)

    async def publish(self, event: Event) -> None:
        self.published.append(event)


@dataclass
class World:
    database: Database
    presence: PresenceService
    bus: RecordingBus
    agent: User
    supervisor: User

    async def put(self, state: AgentState, *, with_row: bool = True) -> None:
        """Put the agent in ``state`` as presence would have left them (no row: logged out)."""
        async with self.database.session() as s:
            await s.execute(delete(AgentPresence))
            if with_row:
                s.add(AgentPresence(
                    user_id=self.agent.id, state=state.value, since=utcnow() - timedelta(minutes=5),
                    reason={PA: "lunch", WU: "wrap_up"}.get(state), call_id=CALL if state in WITH_A_CALL else None,
                    wrapup_until=utcnow() - timedelta(seconds=1) if state is WU else None))
        self.bus.published.clear()

    async def row(self) -> AgentPresence | None:
        async with self.database.session() as s:
            return await s.get(AgentPresence, self.agent.id)


@pytest.fixture
async def world(database: Database) -> World:
    async with database.session() as s:
        agent = User(username="agent1", display_name="Agent One", role=Role.AGENT, password_hash="x",
                     extension=DEVICE, queues=["collections"])
        boss = User(username="boss", display_name="Boss", role=Role.SUPERVISOR, password_hash="x")
        s.add_all([agent, boss])
    bus = RecordingBus()
    presence = PresenceService(database, bus, MemoryOutbox(), wrapup_seconds=60,  # type: ignore[arg-type]
                               is_pause_code=lambda code: code == "lunch")
    return World(database, presence, bus, agent, boss)


def _fire(world: World, event: AgentEvent, call_id: str = CALL) -> Callable[[], Awaitable[Any]]:
    """The presence entry point ``event`` arrives by."""
    p, asked = world.presence, {**{v: k for k, v in ASKABLE.items()}, **{v: k for k, v in FORCEABLE.items()}}
    if event in ASKABLE.values():
        return lambda: p.request("agent1", asked[event], "lunch" if asked[event] is PA else None)
    if event in FORCEABLE.values():
        return lambda: p.force("agent1", asked[event], "lunch" if asked[event] is PA else None, actor=world.supervisor)
    return {
        E.RING: lambda: p.on_ringing(AgentRinging(
            call_id=NEW_CALL, device=DEVICE, member_name="agent1", queue="collections", caller_number="0712345678",
            dialed_number="0800123456", direction=Direction.INBOUND)),
        E.CONNECT: lambda: p.on_connected(AgentConnected(call_id=call_id, device=DEVICE, queue="collections",
                                                         hold_seconds=1, ring_seconds=1)),
        E.CALL_ENDED: lambda: p.on_call_ended(CallEnded(call_id=call_id, cause=EndCause.NORMAL, cause_code=16)),
        E.LEFT_CALL: lambda: p.on_agent_left(AgentLeftCall(call_id=call_id, device=DEVICE)),
        E.CARRIER_READY: lambda: p.on_carrier_state(AgentStateChanged(device=DEVICE, state=RD)),
        E.CARRIER_LOGGED_OUT: lambda: p.on_carrier_state(AgentStateChanged(device=DEVICE, state=LO)),
        E.OUTCOME_SAVED: lambda: p.on_interaction_saved(InteractionSaved(
            interaction_id=1, customer_id=1, operator="agent1", call_id=call_id, status="contacted",
            reason=None, resolution=None)),
        E.WRAP_UP_EXPIRED: p.expire_wrapups,
    }[event]


def _commands(world: World) -> list[tuple[str, str | None]]:
    return [(ev.state, ev.reason) for ev in world.bus.published if isinstance(ev, AgentStateRequested)]


def _seen(row: AgentPresence | None) -> tuple[str, str | None, str | None]:
    return (LO.value, None, None) if row is None else (row.state, row.reason, row.call_id)


async def test_every_pair_played_through_presence_does_what_the_table_says(world: World) -> None:
    played = 0
    for state, event in PAIRS:
        for with_row in (True, False) if state is LO else (True,):
            await world.put(state, with_row=with_row)
            before = await world.row()
            move = transition(state, event)
            try:
                await _fire(world, event)()
            except InvalidInput:
                assert move is None and event in ASKABLE.values(), (state, event)
            after = await world.row()
            where = (state, event, with_row)
            if move is None:  # no row is logged out (an ORM path may write that row: the same state)
                assert _seen(after) == _seen(before), where
                assert before is None or after is None or after.since == before.since, where
                assert _commands(world) == [], where
                continue
            assert after is not None, where
            reason = "lunch" if move.to is PA else (move.reason.value if move.reason else None)
            call = (NEW_CALL if event is E.RING else CALL) if move.to in WITH_A_CALL else None
            assert (after.state, after.reason, after.call_id) == (move.to.value, reason, call), where
            assert (after.wrapup_until is not None) == (move.to is WU), where
            assert (after.last_call_ended_at is not None) == move.ends_call, where
            told = [] if move.carrier is None else [(move.carrier.value, move.carrier_reason("lunch"))]
            assert _commands(world) == told, where
            played += 1
    assert played == sum(len(moves) for moves in TRANSITIONS.values()) + len(TRANSITIONS[LO])


async def test_a_move_that_wants_the_agents_call_ignores_another_call(world: World) -> None:
    for state, event in PAIRS:
        move = transition(state, event)
        if move is None or not move.same_call:
            continue
        await world.put(state)
        before = await world.row()
        await _fire(world, event, OTHER_CALL)()
        after = await world.row()
        assert before is not None and after is not None
        assert (after.state, after.call_id) == (before.state, before.call_id), (state, event)
        assert _commands(world) == [], (state, event)


async def test_reapply_tells_the_carrier_each_state_again(world: World) -> None:
    for state in AgentState:
        await world.put(state)
        assert await world.presence.reapply() == (0 if REAPPLY[state] is None else 1)
        again = REAPPLY[state]
        want = [] if again is None else [
            (again[0].value, again[1].value if again[1] else ("lunch" if again[0] is PA else None))]
        assert _commands(world) == want, state
