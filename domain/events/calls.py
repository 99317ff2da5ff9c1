"""Carrier-independent call events. AMI and Twilio both normalise into these.

``call_id`` is shared by every leg of one call. For Asterisk it is ``"<server>/<Linkedid>"``; for a
call we originated it is our attempt id (``sb-...``), which Asterisk echoes back as the Linkedid
and Twilio carries in its callback URL. Phone numbers are as the carrier gave them; consumers
normalise them to E.164 with :mod:`domain.phone`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.agent_state import AgentState as AgentState  # its home is the state machine; events carry it
from domain.events.base import Event

OWN_CALL_PREFIX = "sb-"  # the call_id of a call we originated starts with it (our attempt id)
OWN_CALL_ID = re.compile(rf"^{OWN_CALL_PREFIX}[A-Za-z0-9._:-]{{1,100}}$")  # one that may come back in a URL


def is_own_call(call_id: str) -> bool:
    """True for a call we originated: its call_id is our dial attempt's id."""
    return call_id.startswith(OWN_CALL_PREFIX)


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class EndCause(enum.StrEnum):
    NORMAL = "normal"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    ABANDONED = "abandoned"
    REJECTED = "rejected"
    ENDED_DURING_FAILOVER = "ended_during_failover"  # gone from the carrier when a new holder looked


@dataclass(frozen=True, kw_only=True)
class CallEvent(Event):
    call_id: str
    carrier: str = "asterisk"
    server: str = "default"


@dataclass(frozen=True, kw_only=True)
class CallOffered(CallEvent, type_name="call.offered"):
    """A new call reached us (inbound) or was started by us (outbound)."""

    direction: Direction
    caller_number: str
    dialed_number: str


@dataclass(frozen=True, kw_only=True)
class IvrInput(CallEvent, type_name="call.ivr_input"):
    menu: str
    digit: str


@dataclass(frozen=True, kw_only=True)
class CallQueued(CallEvent, type_name="call.queued"):
    queue: str
    position: int
    caller_number: str


@dataclass(frozen=True, kw_only=True)
class AgentRinging(CallEvent, type_name="call.agent_ringing"):
    """The agent's phone started ringing: the screen-pop moment."""

    device: str  # e.g. "PJSIP/1001" or "client:amina"
    member_name: str | None
    queue: str | None
    caller_number: str
    dialed_number: str
    direction: Direction
    ivr: tuple[str, ...] = ()  # the caller's IVR choices so far, "menu:digit"


@dataclass(frozen=True, kw_only=True)
class AgentConnected(CallEvent, type_name="call.agent_connected"):
    device: str
    queue: str | None
    hold_seconds: int | None
    ring_seconds: int | None


@dataclass(frozen=True, kw_only=True)
class CallEnded(CallEvent, type_name="call.ended"):
    cause: EndCause
    cause_code: int | None
    talk_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallAbandoned(CallEvent, type_name="call.abandoned"):
    queue: str
    position: int | None
    hold_seconds: int | None


@dataclass(frozen=True, kw_only=True)
class AgentStateChanged(Event, type_name="agent.state_changed"):
    """A device's state as the carrier sees it (queue member status / pause)."""

    device: str
    state: AgentState
    reason: str | None = None
    queue: str | None = None
    carrier: str = "asterisk"
    server: str = "default"
