"""The Twilio ACD's records: what an agent and a call are doing, and how a change is told.

:class:`AcdAgent` and :class:`AcdCall` are the ACD's rows; :class:`Changes` remembers the state an
agent showed before a change and emits one ``AgentStateChanged`` if the change shows. Pure data, no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cti.twilio.decisions import CallRef, Connect, Enqueue, Hangup, Offer, Step
from domain.events import AgentState, AgentStateChanged, Direction, Event

CARRIER = "twilio"


class Activity(enum.StrEnum):
    IDLE = "idle"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class Phase(enum.StrEnum):
    NEW = "new"
    WAITING = "waiting"
    OFFERING = "offering"
    CONNECTED = "connected"
    FINISHED = "finished"  # the agent's leg ended; the caller's leg may still be up


class DialStatus(enum.StrEnum):
    """How the ring of an agent ended (the agent leg's final CallStatus; Twilio's DialCallStatus values)."""

    ANSWERED = "answered"
    COMPLETED = "completed"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass
class AcdAgent:
    device: str
    username: str
    queues: set[str] = field(default_factory=set)
    paused: bool = False
    reason: str | None = None
    activity: Activity = Activity.IDLE
    activity_since: datetime | None = None
    idle_since: datetime | None = None
    call_id: str | None = None

    @property
    def state(self) -> AgentState:
        if self.activity is Activity.RINGING:
            return AgentState.RINGING
        if self.activity is Activity.ON_CALL:
            return AgentState.ON_CALL
        if self.activity is Activity.WRAP_UP:
            return AgentState.WRAP_UP
        if not self.queues:
            return AgentState.LOGGED_OUT
        return AgentState.PAUSED if self.paused else AgentState.READY


@dataclass
class AcdCall:
    call_id: str
    call_sid: str
    queue: str
    caller_number: str
    dialed_number: str
    arrived_at: datetime
    direction: Direction = Direction.INBOUND
    phase: Phase = Phase.NEW
    agent: str | None = None  # device offered or connected
    tried: set[str] = field(default_factory=set)
    answered_at: datetime | None = None


def shown(agent: AcdAgent) -> tuple[AgentState, str | None]:
    """The state (and pause reason) the outside world sees."""
    state = agent.state
    return state, agent.reason if state is AgentState.PAUSED else None


def call_ref(call: AcdCall) -> CallRef:
    return CallRef(call.call_id, call.call_sid, call.queue, call.caller_number, call.dialed_number)


class Changes:
    """Collects AgentStateChanged events: remember an agent's state, emit one event if it changed."""

    def __init__(self, lookup: Callable[[str], AcdAgent | None], now: datetime,
                 agent: AcdAgent | None = None) -> None:
        self._lookup = lookup
        self._now = now
        self._before: dict[str, tuple[AgentState, str | None]] = {}
        self.events: list[Event] = []
        if agent is not None:
            self.track(agent)

    def track(self, agent: AcdAgent) -> None:
        self._before.setdefault(agent.device, shown(agent))

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()

    def flush(self) -> None:
        for device, (state, reason) in self._before.items():
            agent = self._lookup(device)
            if agent is None or shown(agent) == (state, reason):
                continue
            self.events.append(AgentStateChanged(
                at=self._now, device=device, state=agent.state, reason=shown(agent)[1],
                queue=min(agent.queues) if agent.queues else None, carrier=CARRIER,
            ))
        self._before.clear()

    def step(
        self, *, decision: Offer | Enqueue | Hangup | None = None, connects: Iterable[Connect] = (),
        extra: tuple[Event, ...] = (),
    ) -> Step:
        self.flush()
        return Step(decision=decision, connects=tuple(connects), events=(*self.events, *extra))

