"""Response schemas of the browser phone and the recordings (issue 20): the phone's state, the
session the desk opens at sign-in (SIP, Twilio, a desk phone or none), the call controls, the
provisioning report, and a recording as the desk's player lists it. See :mod:`agent_ui.schemas.records`."""

from __future__ import annotations

from typing import Literal

from agent_ui.schemas.records import CallDirection, IsoTime, Out
from store.models import RecordingStatus

Carrier = Literal["asterisk", "twilio"]
PhoneKindName = Literal["webrtc", "desk"]
RecordingState = Literal[RecordingStatus.REQUESTED, RecordingStatus.RECORDING, RecordingStatus.STORED,
                         RecordingStatus.FAILED, RecordingStatus.DELETED]
# hold/unhold/transfer_complete: done by the browser over SIP; the others: commands to the PBX
ActionName = Literal["hold", "unhold", "transfer_blind", "transfer_warm", "transfer_return", "transfer_complete",
                     "recording_pause", "recording_resume"]
ActionOutcome = Literal["requested", "done", "failed"]


class PhoneStatusOut(Out):
    kind: PhoneKindName
    carrier: Carrier
    device: str | None
    registered: bool
    registration_status: str | None


class NoPhoneOut(Out):
    """A user without an extension (e.g. a supervisor on the desk): no phone at all."""

    kind: Literal["none"]


class DeskPhoneOut(Out):
    kind: Literal["desk"]
    device: str


class SipSessionOut(Out):
    """What the desk's SIP user agent needs; the secret is in this answer only, never stored."""

    kind: Literal["sip"]
    ws_url: str
    sip_uri: str
    username: str
    secret: str
    realm: str
    display_name: str
    register_expires: int
    ice_servers: list[str]
    loopback_ice: bool
    early_ice: bool
    audio_processing: bool
    device: str
    provisioned: bool


class TwilioSessionOut(Out):
    """A Twilio Voice SDK access token (extension ``client:<identity>``)."""

    kind: Literal["twilio"]
    token: str
    identity: str
    expires_at: IsoTime
    ttl_seconds: int
    device: str


PhoneSessionOut = NoPhoneOut | DeskPhoneOut | SipSessionOut | TwilioSessionOut


class PhoneLineOut(Out):
    kind: PhoneKindName
    registered: bool


class PhoneLinesOut(Out):
    """Every user's phone, by username (a user with no line has a desk phone)."""

    items: dict[str, PhoneLineOut]


class ProvisionOut(Out):
    endpoints: int
    written: list[str]  # files whose content changed
    reload_request: str | None  # None: nothing to reload


class CommandOut(Out):
    """A command sent to the PBX (202): its answer comes on the socket (``phone.control``)."""

    request_id: str
    action: ActionName
    target: str | None = None
    outcome: Literal["requested"]


class NotedActionOut(Out):
    action: Literal["hold", "unhold", "transfer_complete"]
    outcome: Literal["done"]
    at: IsoTime


class RecordingOut(Out):
    id: int
    call_id: str
    carrier: Carrier
    status: RecordingState
    started_at: IsoTime | None
    stored_at: IsoTime | None
    duration_ms: int | None
    size_bytes: int | None
    sha256: str | None
    paused: bool
    agent: str | None
    customer_id: int | None
    customer_name: str | None
    direction: CallDirection | None
    caller_number: str | None
    can_download: bool


class PlayOut(Out):
    """The player's URL: a ticket for this user, valid an hour."""

    url: str
    duration_ms: int | None
    content_type: str


class RetentionOut(Out):
    deleted: int


_WAV = {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}
# the audio and download routes answer the bytes, not JSON (a Range header gets 206 and that part)
AUDIO: dict[int | str, dict[str, object]] = {
    200: {"content": _WAV, "description": "The recording (WAV)"},
    206: {"content": _WAV, "description": "The part of the recording the Range header asked for"}}
