"""Pure normalisation: one AMI message + the :class:`CallTable` -> carrier-independent events.

``normalise(table, msg, server)`` never does I/O and never raises on odd input (missing headers,
non-numeric fields): it returns the events the message means, possibly none. Chatty events
(VarSet, Newexten, ...) are dropped by a single frozenset lookup on the Event name.

By role: this module holds the channels' events (a call's legs come and go, the IVR's digits, the
Originate's answer) and the dispatch; :mod:`cti.ami.queue_events` the queue's events;
:mod:`cti.ami.call_events` the building blocks both use (and the resync), with the call_id rule.
"""

from __future__ import annotations

from collections.abc import Callable

from cti.ami import queue_events
from cti.ami.call_events import (
    Headers,
    call_of,
    device_of,
    end_cause,
    event_time,
    int_or_none,
    new_call,
    offered,
    ringing,
)
from cti.ami.calltable import CallTable
from cti.ami.channels import is_monitor_leg, monitor_leg_event
from cti.ami.contacts import contact_status
from cti.ami.framing import AmiMessage
from domain.events import (
    AgentConnected,
    CallEnded,
    DialOutcome,
    DialResult,
    Direction,
    Event,
    IvrInput,
)

# OriginateResponse Reason (AST_CONTROL_*): 1 hangup, 3 ring timeout, 4 answered, 5 busy, 8 congestion
_ORIGINATE_REASONS: dict[str, tuple[DialOutcome, str]] = {
    "0": (DialOutcome.FAILED, "no such extension or channel"),
    "1": (DialOutcome.NO_ANSWER, "hung up before answer"),
    "3": (DialOutcome.NO_ANSWER, "ring timeout"),
    "5": (DialOutcome.BUSY, "busy"),
    "8": (DialOutcome.FAILED, "congestion"),
}


def _newchannel(table: CallTable, h: Headers, server: str) -> list[Event]:
    linkedid = h.get("Linkedid")
    if not linkedid or table.has_ended(linkedid):
        return []
    call = table.calls.get(linkedid)
    if call is None:
        return [offered(new_call(table, h, server), server, event_time(h))]
    uniqueid = h.get("Uniqueid", "")
    call.legs.add(uniqueid)
    if call.direction is Direction.OUTBOUND and call.customer_leg is None and uniqueid != call.first_leg:
        call.customer_leg = uniqueid
    return []


def _newstate(table: CallTable, h: Headers, server: str) -> list[Event]:
    call = table.calls.get(h.get("Linkedid", ""))
    if call is None or call.direction is not Direction.OUTBOUND:
        return []
    uniqueid, state = h.get("Uniqueid"), h.get("ChannelState")
    if uniqueid == call.first_leg and state == "5":  # agent-first originate: the agent's phone rings
        device = call.agent_device or device_of(h.get("Channel", ""))
        call.agent_device = device
        return ringing(table, call, device, None, server, event_time(h))
    if uniqueid == call.customer_leg and state == "6" and call.connected_device is None:
        call.connected_device = device = call.agent_device or ""
        ts = h.get("Timestamp")
        call.answered_ts = float(ts) if ts and ts.replace(".", "", 1).isdigit() else None
        return [
            AgentConnected(
                call_id=call.call_id, server=server, at=event_time(h), device=device,
                queue=call.queue, hold_seconds=None, ring_seconds=None,
            )
        ]
    return []


def _dial_end(table: CallTable, h: Headers, server: str) -> list[Event]:
    """Remember how an outbound call's dial of the customer ended (the hangup may not say)."""
    call = table.calls.get(h.get("Linkedid", ""))
    dest = h.get("DestUniqueid")
    if call is not None and call.direction is Direction.OUTBOUND and dest and dest != call.first_leg:
        call.dial_status = (h.get("DialStatus") or "").upper() or None
    return []


def _hangup(table: CallTable, h: Headers, server: str) -> list[Event]:
    linkedid = h.get("Linkedid")
    if not linkedid or table.has_ended(linkedid):
        return []
    uniqueid = h.get("Uniqueid", "")
    call = table.calls.get(linkedid)
    if call is None:  # never seen (connected mid-call, before resync): end it on its first hangup
        call = new_call(table, h, server)
    cause = int_or_none(h.get("Cause"))
    if cause is not None:
        call.causes[uniqueid] = cause
    call.legs.discard(uniqueid)
    if call.legs:
        return []
    table.end(call)
    kind, code = end_cause(call)
    talk = call.talk_seconds
    ts = h.get("Timestamp")
    if talk is None and call.answered_ts is not None and ts:
        try:
            talk = max(0, round(float(ts) - call.answered_ts))
        except ValueError:
            talk = None
    return [
        CallEnded(
            call_id=call.call_id, server=server, at=event_time(h), cause=kind, cause_code=code,
            talk_seconds=talk,
        )
    ]


def _user_event(table: CallTable, h: Headers, server: str) -> list[Event]:
    if h.get("UserEvent", "").lower() != "ivrchoice":
        return []
    out: list[Event] = []
    call = call_of(table, h, server, out)
    if call is None:
        return out
    menu, digit = h.get("Menu") or "main", h.get("Digit") or h.get("Choice") or ""
    call.ivr.append((menu, digit))
    out.append(IvrInput(call_id=call.call_id, server=server, at=event_time(h), menu=menu, digit=digit))
    return out


def _dtmf_end(table: CallTable, h: Headers, server: str) -> list[Event]:
    if not table.dtmf_as_ivr or h.get("Direction") != "Received":
        return []
    call = table.calls.get(h.get("Linkedid", ""))
    if (
        call is None
        or call.direction is not Direction.INBOUND
        or h.get("Uniqueid") != call.first_leg
        or call.queue is not None
        or call.connected_device is not None
    ):
        return []
    menu, digit = h.get("Context") or "main", h.get("Digit", "")
    call.ivr.append((menu, digit))
    return [IvrInput(call_id=call.call_id, server=server, at=event_time(h), menu=menu, digit=digit)]


def _originate_response(table: CallTable, h: Headers, server: str) -> list[Event]:
    action_id, uniqueid = h.get("ActionID", ""), h.get("Uniqueid", "")
    info = table.originate_for_action(action_id) if action_id else None
    if info is not None:
        call_id = info.call_id
    elif uniqueid and table.is_ours(uniqueid):
        call_id = uniqueid
    elif action_id and table.is_ours(action_id):
        call_id = action_id
    else:
        call_id = f"{server}/{uniqueid}" if uniqueid else action_id
    reason_code = h.get("Reason", "")
    if h.get("Response") == "Success":
        outcome, reason = DialOutcome.SENT, f"first leg answered (reason {reason_code})"
    else:
        outcome, text = _ORIGINATE_REASONS.get(reason_code, (DialOutcome.FAILED, "failed"))
        reason = f"{text} (reason {reason_code})"
    return [DialResult(call_id=call_id, outcome=outcome, reason=reason, at=event_time(h))]


Handler = Callable[[CallTable, Headers, str], list[Event]]
_HANDLERS: dict[str, Handler] = {
    "Newchannel": _newchannel,
    "Newstate": _newstate,
    "Hangup": _hangup,
    "DialEnd": _dial_end,
    "UserEvent": _user_event,
    "DTMFEnd": _dtmf_end,
    "QueueCallerJoin": queue_events.caller_join,
    "AgentCalled": queue_events.agent_called,
    "AgentConnect": queue_events.agent_connect,
    "AgentComplete": queue_events.agent_complete,
    "QueueCallerAbandon": queue_events.caller_abandon,
    "QueueMemberStatus": queue_events.member,
    "QueueMemberPause": queue_events.member,
    "QueueMemberAdded": queue_events.member,
    "QueueMemberRemoved": queue_events.member_removed,
    "OriginateResponse": _originate_response,
    "ContactStatus": contact_status,  # issue 20: the browser phones' registrations
}
HANDLED_EVENTS = frozenset(_HANDLERS)


def normalise(table: CallTable, msg: AmiMessage, server: str) -> list[Event]:
    """The events ``msg`` means for ``server``, updating ``table``. Never raises on bad input."""
    name = msg.event  # read from the first line only: ignored events are never parsed
    if name not in HANDLED_EVENTS or name is None:
        return []
    headers = msg.headers
    if is_monitor_leg(headers.get("Linkedid") or "") or is_monitor_leg(headers.get("Uniqueid") or ""):
        return monitor_leg_event(name, headers, server)  # a supervisor's monitoring leg (issue 22): not a call
    return _HANDLERS[name](table, headers, server)
