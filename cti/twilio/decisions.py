"""What the Twilio ACD decides, as data: the TwiML decision, callers to connect, events to publish."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import Event


@dataclass(frozen=True, slots=True)
class AgentRef:
    device: str
    username: str


@dataclass(frozen=True, slots=True)
class CallRef:
    call_id: str
    call_sid: str
    queue: str
    caller_number: str
    dialed_number: str


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring ``agent`` for ``call`` (the caller joins the call's conference; the agent is rung into it)."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class Enqueue:
    """No agent: the caller waits in ``<Enqueue>`` at ``position`` (1 = next)."""

    call: CallRef
    position: int


@dataclass(frozen=True, slots=True)
class Connect:
    """A waiting caller now goes to ``agent`` (redirect the caller's leg through the Calls API)."""

    call: CallRef
    agent: AgentRef


@dataclass(frozen=True, slots=True)
class Hangup:
    call_id: str


@dataclass(frozen=True, slots=True)
class Ended:
    call_id: str
    abandoned: bool
    talk_seconds: int | None
    agent: AgentRef | None


@dataclass(frozen=True, slots=True)
class Step:
    decision: Offer | Enqueue | Hangup | None = None
    connects: tuple[Connect, ...] = ()
    events: tuple[Event, ...] = ()
    ended: Ended | None = None
