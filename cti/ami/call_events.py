"""The building blocks of AMI normalisation, shared by the normaliser and the resync: headers read
safely (never raising on odd input), hangup causes, and the call events both build (a new call,
its offer, an agent's ring).

``call_id`` rule: a Linkedid we set via Originate ``ChannelId`` (``sb-...``, or registered with
:meth:`CallTable.register_originate`) is the call_id as is; any other is ``f"{server}/{linkedid}"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from cti.ami.calltable import CallInfo, CallTable
from domain.events import (
    AgentRinging,
    CallOffered,
    Direction,
    EndCause,
    Event,
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
def int_or_none(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def number_or_empty(value: str | None) -> str:
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
    caller = number_or_empty(h.get("CallerIDNum"))
    exten = number_or_empty(h.get("Exten"))
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


def call_of(table: CallTable, h: Headers, server: str, out: list[Event]) -> CallInfo | None:
    """The call of a channel event; an unknown, not-ended Linkedid is created (and offered)."""
    linkedid = h.get("Linkedid")
    if not linkedid:
        return None
    call = table.calls.get(linkedid)
    if call is None and not table.has_ended(linkedid):
        call = new_call(table, h, server)
        out.append(offered(call, server, event_time(h)))
    return call
