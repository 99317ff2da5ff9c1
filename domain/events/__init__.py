"""All bus events. Importing this package registers every event type for decoding."""

from domain.events.accounts import AgentStateRequested, InteractionSaved, PaymentReceived, PromiseRecorded
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
from domain.events.ivr import IvrCallbackBooked, IvrPromiseTaken, IvrSessionEnded, IvrSessionStarted
from domain.events.messaging import InboundMessageReceived, MessageStatusChanged
from domain.events.monitor import MonitorLegEnded, MonitorMode, MonitorRequested, MonitorStopRequested
from domain.events.phone import (
    AgentLeftCall,
    CallTransferRequested,
    PbxCommandDone,
    PbxReloadRequested,
    PhoneRegistrationChanged,
    RecordingAction,
    RecordingControlRequested,
    TransferKind,
    UserAccountChanged,
)
from domain.events.sessions import SessionsRevoked
from domain.events.supervision import ConfigChanged, EscalationRequested, PromiseBroken

__all__ = [
    "EVENT_TYPES",
    "AgentConnected",
    "AgentLeftCall",
    "AgentRinging",
    "AgentState",
    "AgentStateChanged",
    "AgentStateRequested",
    "CallAbandoned",
    "CallEnded",
    "CallEvent",
    "CallOffered",
    "CallQueued",
    "CallTransferRequested",
    "ConfigChanged",
    "DialOutcome",
    "DialRequested",
    "DialResult",
    "Direction",
    "EndCause",
    "EscalationRequested",
    "Event",
    "InboundMessageReceived",
    "InteractionSaved",
    "IvrCallbackBooked",
    "IvrInput",
    "IvrPromiseTaken",
    "IvrSessionEnded",
    "IvrSessionStarted",
    "MessageStatusChanged",
    "MonitorLegEnded",
    "MonitorMode",
    "MonitorRequested",
    "MonitorStopRequested",
    "PaymentReceived",
    "PbxCommandDone",
    "PbxReloadRequested",
    "PhoneRegistrationChanged",
    "PromiseBroken",
    "PromiseRecorded",
    "RecordingAction",
    "RecordingControlRequested",
    "SessionsRevoked",
    "TransferKind",
    "UserAccountChanged",
    "decode_event",
    "encode_event",
    "utcnow",
]
