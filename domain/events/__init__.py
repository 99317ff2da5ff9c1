"""All bus events. Importing this package registers every event type for decoding."""

from domain.events.accounts import AgentStateRequested, InteractionSaved, PaymentReceived
from domain.events.base import EVENT_TYPES, Event, utcnow
from domain.events.calls import (
    AgentConnected,
    AgentRinging,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    Direction,
    EndCause,
    IvrInput,
)
from domain.events.codec import decode_event, encode_event
from domain.events.commands import DialOutcome, DialRequested, DialResult

__all__ = [
    "EVENT_TYPES",
    "AgentConnected",
    "AgentRinging",
    "AgentState",
    "AgentStateChanged",
    "AgentStateRequested",
    "CallAbandoned",
    "CallEnded",
    "CallEvent",
    "CallOffered",
    "CallQueued",
    "DialOutcome",
    "DialRequested",
    "DialResult",
    "Direction",
    "EndCause",
    "Event",
    "InteractionSaved",
    "IvrInput",
    "PaymentReceived",
    "decode_event",
    "encode_event",
    "utcnow",
]
