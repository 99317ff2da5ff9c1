"""Pure normalisation: one AMI message + the :class:`CallTable` -> carrier-independent events.

``normalise(table, msg, server)`` never does I/O and never raises on odd input (missing headers,
non-numeric fields): it returns the events the message means, possibly none. Chatty events
(VarSet, Newexten, ...) are dropped by a single frozenset lookup on the Event name.

``call_id`` rule: a Linkedid we set via Originate ``ChannelId`` (``sb-...``, or registered with
:meth:`CallTable.register_originate`) is the call_id as is; any other is ``f"{server}/{linkedid}"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from cti.ami.calltable import CallInfo, CallTable
from cti.ami.channels import is_monitor_leg, monitor_leg_event
from cti.ami.contacts import contact_status
from cti.ami.framing import AmiMessage
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallEnded,
    CallOffered,
    CallQueued,
    DialOutcome,
    DialResult,
    Direction,
    EndCause,
    Event,
    IvrInput,
    utcnow,
)

Headers = Mapping[str, str]

_UNKNOWN = frozenset({"<unknown>", "unknown", "s"})
_CAUSES: dict[int, EndCause] = {
    16: EndCause.NORMAL,
    17: EndCause.BUSY,
    18: EndCause.NO_ANSWER,
    19: EndCause.NO_ANSWER,
    21: EndCause.REJECTED,
}
# DialEnd DialStatus of an outbound call's customer leg -> the cause it means. Asterisk hangs up
# both legs with Cause 0 ("Unknown") when Dial's ring timeout runs out; only DialEnd says NOANSWER.
_DIAL_STATUS_CAUSES: dict[str, EndCause] = {
    "NOANSWER": EndCause.NO_ANSWER,
    "BUSY": EndCause.BUSY,
    "CONGESTION": EndCause.FAILED,
    "CHANUNAVAIL": EndCause.FAILED,
}
# OriginateResponse Reason (AST_CONTROL_*): 1 hangup, 3 ring timeout, 4 answered, 5 busy, 8 congestion
_ORIGINATE_REASONS: dict[str, tuple[DialOutcome, str]] = {
    "0": (DialOutcome.FAILED, "no such extension or channel"),
    "1": (DialOutcome.NO_ANSWER, "hung up before answer"),
    "3": (DialOutcome.NO_ANSWER, "ring timeout"),
    "5": (DialOutcome.BUSY, "busy"),
    "8": (DialOutcome.FAILED, "congestion"),
}


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _number(value: str | None) -> str:
    return "" if value is None or value in _UNKNOWN else value


def event_time(h: Headers) -> datetime:
    """The message's ``Timestamp`` (epoch seconds) as UTC, or now."""
    ts = h.get("Timestamp")
    if ts:
        try:
            return datetime.fromtimestamp(float(ts), UTC)
        except (ValueError, OverflowError, OSError):
            pass
    return utcnow()


def device_of(channel: str) -> str:
    """``PJSIP/1001-00000014`` -> ``PJSIP/1001``."""
    head, sep, _ = channel.rpartition("-")
    return head if sep and "/" in head else channel


def member_state(status: str | None, paused: str | None) -> AgentState:
    """QueueMember Status (AST_DEVICE_*) + Paused -> our agent state."""
    if status in ("4", "5"):
        return AgentState.LOGGED_OUT
    if status in ("6", "7"):
        return AgentState.RINGING
    if status in ("2", "3", "8"):
        return AgentState.ON_CALL
    return AgentState.PAUSED if paused == "1" else AgentState.READY


def end_cause(call: CallInfo) -> tuple[EndCause, int | None]:
    leg = call.customer_leg if call.customer_leg in call.causes else call.first_leg
    code = call.causes.get(leg) if leg is not None else None
    if code is None and call.causes:
        code = next(iter(call.causes.values()))
    if call.abandoned:
        return EndCause.ABANDONED, code
    told = _DIAL_STATUS_CAUSES.get(call.dial_status or "")
    if told is not None and code not in _CAUSES:  # no Q.850 cause on the hangup (e.g. 0 after a ring timeout)
        return told, code
    if code is None:
        return EndCause.FAILED, None
    return _CAUSES.get(code, EndCause.FAILED), code


def new_call(table: CallTable, h: Headers, server: str) -> CallInfo:
    """A call first seen in ``h`` (Newchannel, or any channel event of an unknown Linkedid)."""
    linkedid = h.get("Linkedid", "")
    uniqueid = h.get("Uniqueid", "")
    ours = table.is_ours(linkedid)
    origin = table.originates.get(linkedid)
    caller = _number(h.get("CallerIDNum"))
    exten = _number(h.get("Exten"))
    if ours:
        direction = Direction.OUTBOUND
        dialed = origin.customer_number if origin and origin.customer_number else exten
        caller = origin.caller_id if origin and origin.caller_id else caller
    else:
        direction = Direction.INBOUND
        dialed = exten
    call = CallInfo(
        call_id=linkedid if ours else f"{server}/{linkedid}",
        linkedid=linkedid,
        direction=direction,
        caller_number=caller,
        dialed_number=dialed,
        first_leg=uniqueid,
        legs={uniqueid} if uniqueid else set(),
        agent_device=origin.agent_device if origin else None,
    )
    table.calls[linkedid] = call
    return call


def offered(call: CallInfo, server: str, at: datetime) -> CallOffered:
    return CallOffered(
        call_id=call.call_id,
        server=server,
        at=at,
        direction=call.direction,
        caller_number=call.caller_number,
        dialed_number=call.dialed_number,
    )


def ringing(
    table: CallTable, call: CallInfo, device: str, member: str | None, server: str, at: datetime
) -> list[Event]:
    """AgentRinging once per (call, device): the screen-pop."""
    key = (call.call_id, device)
    if key in table.rings:
        return []
    table.rings.add(key)
    return [
        AgentRinging(
            call_id=call.call_id,
            server=server,
            at=at,
            device=device,
            member_name=member or None,
            queue=call.queue,
            caller_number=call.caller_number,
            dialed_number=call.dialed_number,
            direction=call.direction,
            ivr=tuple(f"{menu}:{digit}" for menu, digit in call.ivr),
        )
    ]


def _call(table: CallTable, h: Headers, server: str, out: list[Event]) -> CallInfo | None:
    """The call of a channel event; an unknown, not-ended Linkedid is created (and offered)."""
    linkedid = h.get("Linkedid")
    if not linkedid:
        return None
    call = table.calls.get(linkedid)
    if call is None and not table.has_ended(linkedid):
        call = new_call(table, h, server)
        out.append(offered(call, server, event_time(h)))
    return call


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
    cause = _int(h.get("Cause"))
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
    call = _call(table, h, server, out)
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


def _caller_join(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = _call(table, h, server, out)
    if call is None:
        return out
    call.queue = queue = h.get("Queue", "")
    out.append(
        CallQueued(
            call_id=call.call_id, server=server, at=event_time(h), queue=queue,
            position=_int(h.get("Position")) or 0, caller_number=call.caller_number,
        )
    )
    return out


def _agent_called(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = _call(table, h, server, out)
    if call is None:
        return out
    call.queue = h.get("Queue") or call.queue
    device = h.get("Interface") or device_of(h.get("DestChannel", ""))
    out += ringing(table, call, device, h.get("MemberName"), server, event_time(h))
    return out


def _agent_connect(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = _call(table, h, server, out)
    if call is None:
        return out
    call.connected_device = device = h.get("Interface") or device_of(h.get("DestChannel", ""))
    call.queue = h.get("Queue") or call.queue
    # a ring this table never saw (it rang before a failover's login): the pop first (once)
    out += ringing(table, call, device, h.get("MemberName"), server, event_time(h))
    out.append(
        AgentConnected(
            call_id=call.call_id, server=server, at=event_time(h), device=device, queue=call.queue,
            hold_seconds=_int(h.get("HoldTime")), ring_seconds=_int(h.get("RingTime")),
        )
    )
    return out


def _agent_complete(table: CallTable, h: Headers, server: str) -> list[Event]:
    call = table.calls.get(h.get("Linkedid", ""))
    if call is not None:
        call.talk_seconds = _int(h.get("TalkTime"))
    return []


def _caller_abandon(table: CallTable, h: Headers, server: str) -> list[Event]:
    out: list[Event] = []
    call = _call(table, h, server, out)
    if call is None:
        return out
    call.abandoned = True
    queue = h.get("Queue") or call.queue or ""
    out.append(
        CallAbandoned(
            call_id=call.call_id, server=server, at=event_time(h), queue=queue,
            position=_int(h.get("Position")), hold_seconds=_int(h.get("HoldTime")),
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


def _member(table: CallTable, h: Headers, server: str) -> list[Event]:
    return member_event(table, h, server)


def _member_removed(table: CallTable, h: Headers, server: str) -> list[Event]:
    return member_event(table, h, server, removed=True)


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
    "QueueCallerJoin": _caller_join,
    "AgentCalled": _agent_called,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "QueueCallerAbandon": _caller_abandon,
    "QueueMemberStatus": _member,
    "QueueMemberPause": _member,
    "QueueMemberAdded": _member,
    "QueueMemberRemoved": _member_removed,
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
