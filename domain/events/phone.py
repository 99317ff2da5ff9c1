"""Events of the browser phone and of call recording (issue 20).

Commands for the PBX cross the bus like ``DialRequested``: the ``phone`` and ``recordings``
packages publish them, the Asterisk bridge of the call's server performs them over AMI and answers
with one :class:`PbxCommandDone` carrying the same ``request_id``. ``PhoneRegistrationChanged``
comes from the PBX (a browser phone registered or went away); ``UserAccountChanged`` from the admin
API (a user added, changed or disabled: provision or remove their endpoint).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.events.base import Event
from domain.events.calls import CallEvent


class TransferKind(enum.StrEnum):
    BLIND = "blind"  # AMI BlindTransfer: the agent leaves, the target rings
    ATTENDED = "attended"  # AMI Atxfer: the agent consults the target, the customer hears hold music
    CANCEL = "cancel"  # AMI CancelAtxfer: back to the customer, the consultation ends


class RecordingAction(enum.StrEnum):
    START = "start"  # MixMonitor on the customer's channel (both directions, one file per call)
    PAUSE = "pause"  # MixMonitorMute State=1: silence in the file
    RESUME = "resume"  # MixMonitorMute State=0


@dataclass(frozen=True, kw_only=True)
class PhoneRegistrationChanged(Event, type_name="phone.registration_changed"):
    """A phone's registration as the PBX sees it (AMI ContactStatus)."""

    device: str  # PJSIP/2001
    registered: bool
    status: str = ""  # the PBX's word: Created, Removed, Reachable ...
    server: str = "default"
    carrier: str = "asterisk"


@dataclass(frozen=True, kw_only=True)
class AgentLeftCall(CallEvent, type_name="call.agent_left"):
    """The agent on ``device`` handed the call on (a blind transfer, or a completed warm transfer)
    and is out of it, while the call goes on with someone else: their wrap-up starts now."""

    device: str


@dataclass(frozen=True, kw_only=True)
class UserAccountChanged(Event, type_name="account.user_changed"):
    """A user was added, changed or disabled in the admin API."""

    username: str
    active: bool
    extension: str | None = None


@dataclass(frozen=True, kw_only=True)
class PbxReloadRequested(Event, type_name="pbx.reload_requested"):
    """Reload these modules (after the provisioned files were written); ``server`` None: every server."""

    request_id: str
    modules: tuple[str, ...]
    server: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallTransferRequested(Event, type_name="pbx.transfer_requested"):
    """Transfer the customer of ``call_id`` away from the agent on ``device``, to ``context``/``exten``."""

    request_id: str
    call_id: str
    device: str
    kind: TransferKind
    context: str = ""
    exten: str = ""
    server: str = "default"


@dataclass(frozen=True, kw_only=True)
class RecordingControlRequested(Event, type_name="pbx.recording_requested"):
    """Start, pause or resume the recording of ``call_id``; ``device`` is the agent's (the customer's
    channel is the call's other party); ``file`` is where the PBX writes (START only)."""

    request_id: str
    call_id: str
    device: str
    action: RecordingAction
    file: str | None = None
    server: str = "default"


@dataclass(frozen=True, kw_only=True)
class PbxCommandDone(Event, type_name="pbx.command_done"):
    """The answer to one of the commands above (``command``: reload, transfer or recording)."""

    request_id: str
    command: str
    ok: bool
    message: str | None = None
    call_id: str | None = None
    server: str = "default"
