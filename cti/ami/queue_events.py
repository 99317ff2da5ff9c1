"""AMI normalisation, the queue's part (app_queue): a caller joins, an agent is called, connects,
completes, a caller abandons, and queue members change state (QueueMember*), each into the
carrier-independent events. Pure, as :mod:`cti.ami.normaliser`, which dispatches to these.
"""

from __future__ import annotations

from cti.ami.call_events import Headers, call_of, device_of, event_time, int_or_none, ringing
from cti.ami.calltable import CallTable
from domain.events import (
    AgentConnected,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallQueued,
    Event,
)


def member_state(status: str | None, paused: str | None) -> AgentState:
    """QueueMember Status (AST_DEVICE_*) + Paused -> our agent state."""
    if status in ("4", "5"):
        return AgentState.LOGGED_OUT
    if status in ("6", "7"):
        return AgentState.RINGING
    if status in ("2", "3", "8"):
        return AgentState.ON_CALL
    return AgentState.PAUSED if paused == "1" else AgentState.READY


def caller_join(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = call_of(table, h, server, out)
    if call is None:
        return out
    call.queue = queue = h.get("Queue", "")
    out.append(
        CallQueued(
            call_id=call.call_id, server=server, at=event_time(h), queue=queue,
            position=int_or_none(h.get("Position")) or 0, caller_number=call.caller_number,
        )
    )
    return out


def agent_called(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = call_of(table, h, server, out)
    if call is None:
        return out
    call.queue = h.get("Queue") or call.queue
    device = h.get("Interface") or device_of(h.get("DestChannel", ""))
    out += ringing(table, call, device, h.get("MemberName"), server, event_time(h))
    return out


def agent_connect(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = call_of(table, h, server, out)
    if call is None:
        return out
    call.connected_device = device = h.get("Interface") or device_of(h.get("DestChannel", ""))
    call.queue = h.get("Queue") or call.queue
    # a ring this table never saw (it rang before a failover's login): the pop first (once)
    out += ringing(table, call, device, h.get("MemberName"), server, event_time(h))
    out.append(
        AgentConnected(
            call_id=call.call_id, server=server, at=event_time(h), device=device, queue=call.queue,
            hold_seconds=int_or_none(h.get("HoldTime")), ring_seconds=int_or_none(h.get("RingTime")),
        )
    )
    return out


def agent_complete(table: CallTable, h: Headers, server: str) -> list[Event]:
    call = table.calls.get(h.get("Linkedid", ""))
    if call is not None:
        call.talk_seconds = int_or_none(h.get("TalkTime"))
    return []


def caller_abandon(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = call_of(table, h, server, out)
    if call is None:
        return out
    call.abandoned = True
    queue = h.get("Queue") or call.queue or ""
    out.append(
        CallAbandoned(
            call_id=call.call_id, server=server, at=event_time(h), queue=queue,
            position=int_or_none(h.get("Position")), hold_seconds=int_or_none(h.get("HoldTime")),
        )
    )
    return out


def member_event(
    table: CallTable, h: Headers, server: str, *, removed: bool = False, force: bool = False
) -> list[Event]:
    """QueueMember* -> AgentStateChanged (only on change unless ``force``)."""
    device = h.get("Interface") or h.get("Location") or h.get("StateInterface") or ""
    if not device:
        return []
    queue = h.get("Queue") or None
    paused = h.get("Paused")
    state = AgentState.LOGGED_OUT if removed else member_state(h.get("Status"), paused)
    reason = (h.get("PausedReason") or None) if state is AgentState.PAUSED else None
    key = (queue or "", device)
    if removed:
        known = table.members.pop(key, None)
    else:
        known = table.members.get(key)
        table.members[key] = (state, reason)
    if not force and known == (state, reason):
        return []
    return [
        AgentStateChanged(
            device=device, state=state, reason=reason, queue=queue, server=server, at=event_time(h)
        )
    ]


def member(table: CallTable, h: Headers, server: str) -> list[Event]:
    return member_event(table, h, server)


def member_removed(table: CallTable, h: Headers, server: str) -> list[Event]:
    return member_event(table, h, server, removed=True)
