"""Live monitoring (issue 22): a supervisor listens to, whispers to or barges into an agent's call.

The API publishes :class:`MonitorRequested`; the carrier that holds the call performs it (Asterisk:
an AMI ``Originate`` of the supervisor's device into a ``ChanSpy`` context; Twilio: a conference
participant) and answers with one ``PbxCommandDone`` (``command="monitor"``, the same
``request_id``). :class:`MonitorStopRequested` hangs the supervisor's leg up again;
:class:`MonitorLegEnded` says the leg is gone (the supervisor hung up, or it was hung up).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.events.base import Event


class MonitorMode(enum.StrEnum):
    LISTEN = "listen"  # the supervisor hears both sides, nobody hears the supervisor
    WHISPER = "whisper"  # the agent hears the supervisor, the customer does not
    BARGE = "barge"  # all three talk


@dataclass(frozen=True, kw_only=True)
class MonitorRequested(Event, type_name="monitor.requested"):
    """Ring ``supervisor_device`` and join it to ``call_id`` (the agent on ``agent_device``) in ``mode``."""

    request_id: str
    call_id: str
    agent_device: str
    supervisor_device: str
    mode: MonitorMode
    carrier: str = "asterisk"
    server: str = "default"
    caller_id: str = ""  # what the supervisor's phone shows ("Listen: Amina")
    context: str = "switchboard-monitor"  # Asterisk: the ChanSpy context (exten = the mode)
    ring_seconds: int = 30


@dataclass(frozen=True, kw_only=True)
class MonitorStopRequested(Event, type_name="monitor.stop_requested"):
    """Hang the supervisor's leg of the monitoring session ``request_id`` up."""

    request_id: str
    call_id: str
    supervisor_device: str
    carrier: str = "asterisk"
    server: str = "default"


@dataclass(frozen=True, kw_only=True)
class MonitorLegEnded(Event, type_name="monitor.leg_ended"):
    """The supervisor's leg of the monitoring session ``request_id`` ended (Asterisk: its channel hung up)."""

    request_id: str
    server: str = "default"
