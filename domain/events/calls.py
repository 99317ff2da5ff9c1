"""Carrier-independent call events. AMI and Twilio both normalise into these.

``call_id`` is shared by every leg of one call. For Asterisk it is ``"<server>/<Linkedid>"``; for a
call we originated it is our attempt id (``sb-...``), which Asterisk echoes back as the Linkedid
and Twilio carries in its callback URL. Phone numbers are as the carrier gave them; consumers
normalise them to E.164 with :mod:`domain.phone`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.events.base import Event


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class AgentState(enum.StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class EndCause(enum.StrEnum):
    NORMAL = "normal"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    ABANDONED = "abandoned"
    REJECTED = "rejected"


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
