"""Twilio voice webhooks, sans-I/O: a form (and our own query string) in, typed domain events out.

Which call a callback belongs to (``call_id``):

* a call we created (click-to-call, the dialer) carries our attempt id in every callback URL we
  give Twilio (``?call_id=sb-...``), so all its legs join that id;
* an inbound call is ``twilio/<CallSid of the caller's leg>``; the agent legs we ring into its
  conference carry that id in their callback URLs too.

The rest of the query string is the context we wrote into the URL when we built it (leg, agent
device, queue, numbers), so a callback is understood on any worker without shared state. Twilio
signs the whole URL, query included, so that context cannot be forged.
"""

from __future__ import annotations

import enum
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

from domain.errors import ProtocolViolation
from domain.events import (
    AgentConnected,
    AgentRinging,
    CallEnded,
    CallOffered,
    DialOutcome,
    DialResult,
    Direction,
    EndCause,
    Event,
)
from domain.events.calls import OWN_CALL_ID

CARRIER = "twilio"
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_INBOUND_ID = re.compile(r"^twilio/CA[0-9a-fA-F]{32}$")
_MAX_FIELD = 256


class CallStatus(enum.StrEnum):
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"  # DialCallStatus only
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


FINAL_STATUSES = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED}
)
_END_CAUSE = {
    CallStatus.COMPLETED: EndCause.NORMAL,
    CallStatus.BUSY: EndCause.BUSY,
    CallStatus.NO_ANSWER: EndCause.NO_ANSWER,
    CallStatus.FAILED: EndCause.FAILED,
    CallStatus.CANCELED: EndCause.ABANDONED,
}
_DIAL_OUTCOME = {
    CallStatus.BUSY: DialOutcome.BUSY,
    CallStatus.NO_ANSWER: DialOutcome.NO_ANSWER,
    CallStatus.FAILED: DialOutcome.FAILED,
    CallStatus.CANCELED: DialOutcome.FAILED,
}


class Leg(enum.StrEnum):
    CALLER = "caller"  # the inbound caller's (parent) leg
    AGENT = "agent"  # the agent's device: rung into the conference (inbound) or the REST-created leg (outbound)
    CUSTOMER = "customer"  # the customer dialled from the agent's leg (outbound)


@dataclass(frozen=True, slots=True)
class CallbackContext:
    """What we wrote into a callback URL's query string."""

    call_id: str | None = None
    leg: Leg | None = None
    device: str | None = None
    agent: str | None = None
    queue: str | None = None
    caller: str | None = None
    dialed: str | None = None
    direction: Direction | None = None

    def query(self) -> str:
        """The query string (stable order) that :func:`parse_context` reads back."""
        pairs = [
            ("call_id", self.call_id), ("leg", self.leg), ("device", self.device),
            ("agent", self.agent), ("queue", self.queue), ("caller", self.caller),
            ("dialed", self.dialed), ("direction", self.direction),
        ]
        return urlencode([(k, str(v)) for k, v in pairs if v is not None])


def callback_url(public_url: str, path: str, context: CallbackContext) -> str:
    """Absolute URL for Twilio to call back on ``path``, carrying ``context``."""
    query = context.query()
    url = public_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


@dataclass(frozen=True, slots=True)
class TwilioCallback:
    """One voice webhook or status callback, validated."""

    call_sid: str
    account_sid: str
    status: CallStatus
    from_number: str
    to_number: str
    twilio_direction: str
    parent_call_sid: str | None
    sequence_number: int | None
    call_duration: int | None
    timestamp: datetime | None
    dial_call_status: CallStatus | None
    dial_call_sid: str | None
    dial_call_duration: int | None
    sip_response_code: int | None
    context: CallbackContext

    @property
    def call_id(self) -> str:
        if self.context.call_id:
            return self.context.call_id
        return f"twilio/{self.parent_call_sid or self.call_sid}"

    @property
    def leg(self) -> Leg:
        if self.context.leg is not None:
            return self.context.leg
        return Leg.AGENT if self.parent_call_sid else Leg.CALLER

    @property
    def direction(self) -> Direction:
        if self.context.direction is not None:
            return self.context.direction
        return Direction.INBOUND if self.twilio_direction == "inbound" else Direction.OUTBOUND


def _text(form: Mapping[str, str], key: str, *, required: bool = False) -> str | None:
    value = form.get(key)
    if value is None or value == "":
        if required:
            raise ProtocolViolation(f"twilio webhook without {key}", {key: "missing"})
        return None
    if len(value) > _MAX_FIELD:
        raise ProtocolViolation(f"twilio webhook {key} too long", {key: "too long"})
    return value


def _required(form: Mapping[str, str], key: str) -> str:
    value = _text(form, key, required=True)
    if value is None:  # pragma: no cover - _text raised already
        raise ProtocolViolation(f"twilio webhook without {key}", {key: "missing"})
    return value


def _int(form: Mapping[str, str], key: str) -> int | None:
    value = _text(form, key)
    if value is None:
        return None
    if not value.isdigit():
        raise ProtocolViolation(f"twilio webhook {key} is not a number", {key: "not a number"})
    return int(value)


def _status(form: Mapping[str, str], key: str, *, required: bool = False) -> CallStatus | None:
    value = _text(form, key, required=required)
    if value is None:
        return None
    try:
        return CallStatus(value)
    except ValueError as exc:
        raise ProtocolViolation(f"unknown twilio {key} {value!r}", {key: "unknown status"}) from exc


def _sid(form: Mapping[str, str], key: str) -> str | None:
    value = _text(form, key)
    if value is not None and not _CALL_SID.match(value):
        raise ProtocolViolation(f"malformed twilio {key}", {key: "not a call sid"})
    return value


def _timestamp(form: Mapping[str, str]) -> datetime | None:
    value = _text(form, "Timestamp")
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise ProtocolViolation("malformed twilio Timestamp", {"Timestamp": "not an RFC 2822 date"}) from exc


def parse_context(query: Mapping[str, str]) -> CallbackContext:
    """Read back a :class:`CallbackContext`; ProtocolViolation if a field is malformed."""
    call_id = _text(query, "call_id")
    if call_id is not None and not (OWN_CALL_ID.match(call_id) or _INBOUND_ID.match(call_id)):
        raise ProtocolViolation("malformed call_id in callback URL", {"call_id": "malformed"})
    try:
        leg_text = _text(query, "leg")
        leg = Leg(leg_text) if leg_text else None
        direction_text = _text(query, "direction")
        direction = Direction(direction_text) if direction_text else None
    except ValueError as exc:
        raise ProtocolViolation("malformed callback context", {"query": str(exc)}) from exc
    return CallbackContext(
        call_id=call_id, leg=leg, device=_text(query, "device"), agent=_text(query, "agent"),
        queue=_text(query, "queue"), caller=_text(query, "caller"), dialed=_text(query, "dialed"),
        direction=direction,
    )


def parse_callback(form: Mapping[str, str], query: Mapping[str, str] | None = None) -> TwilioCallback:
    """Validate a voice webhook / status callback form; ProtocolViolation (400) with details if bad."""
    call_sid = _required(form, "CallSid")
    if not _CALL_SID.match(call_sid):
        raise ProtocolViolation("malformed twilio CallSid", {"CallSid": "not a call sid"})
    status = _status(form, "CallStatus", required=True)
    if status is None:  # pragma: no cover - _status raised already
        raise ProtocolViolation("twilio webhook without CallStatus", {"CallStatus": "missing"})
    account_sid = _required(form, "AccountSid")
    return TwilioCallback(
        call_sid=call_sid,
        account_sid=account_sid,
        status=status,
        from_number=_text(form, "From") or "",
        to_number=_text(form, "To") or "",
        twilio_direction=_text(form, "Direction") or "",
        parent_call_sid=_sid(form, "ParentCallSid"),
        sequence_number=_int(form, "SequenceNumber"),
        call_duration=_int(form, "CallDuration"),
        timestamp=_timestamp(form),
        dial_call_status=_status(form, "DialCallStatus"),
        dial_call_sid=_sid(form, "DialCallSid"),
        dial_call_duration=_int(form, "DialCallDuration"),
        sip_response_code=_int(form, "SipResponseCode"),
        context=parse_context(query or {}),
    )


def _at(cb: TwilioCallback, now: datetime) -> datetime:
    return cb.timestamp or now


def offered_events(cb: TwilioCallback, now: datetime) -> list[Event]:
    """The caller's first request on ``/twilio/voice``: a new inbound call."""
    return [CallOffered(
        at=_at(cb, now), call_id=cb.call_id, carrier=CARRIER, direction=cb.direction,
        caller_number=cb.from_number, dialed_number=cb.to_number,
    )]


def status_events(
    cb: TwilioCallback, now: datetime, *, abandoned: bool = False, talk_seconds: int | None = None
) -> list[Event]:
    """Events for one status callback. ``abandoned``: the ACD had not connected the caller yet."""
    at, ctx = _at(cb, now), cb.context
    device = ctx.device or cb.to_number
    if cb.leg is Leg.AGENT and cb.status is CallStatus.RINGING:
        return [AgentRinging(
            at=at, call_id=cb.call_id, carrier=CARRIER, device=device, member_name=ctx.agent,
            queue=ctx.queue, caller_number=ctx.caller or cb.from_number,
            dialed_number=ctx.dialed or cb.to_number, direction=cb.direction,
        )]
    if cb.leg is Leg.AGENT and cb.direction is Direction.OUTBOUND and cb.status is CallStatus.INITIATED:
        return [CallOffered(
            at=at, call_id=cb.call_id, carrier=CARRIER, direction=Direction.OUTBOUND,
            caller_number=ctx.caller or cb.from_number, dialed_number=ctx.dialed or "",
        )]
    if cb.status is CallStatus.IN_PROGRESS and (
        (cb.leg is Leg.AGENT and cb.direction is Direction.INBOUND) or cb.leg is Leg.CUSTOMER
    ):
        events: list[Event] = [AgentConnected(
            at=at, call_id=cb.call_id, carrier=CARRIER, device=ctx.device or "", queue=ctx.queue,
            hold_seconds=None, ring_seconds=None,
        )]
        if cb.leg is Leg.CUSTOMER:
            events.append(
                DialResult(at=at, call_id=cb.call_id, outcome=DialOutcome.ANSWERED, carrier=CARRIER)
            )
        return events
    if cb.leg is Leg.CUSTOMER and cb.status in _DIAL_OUTCOME:  # outbound: the customer did not answer
        return [DialResult(at=at, call_id=cb.call_id, outcome=_DIAL_OUTCOME[cb.status], carrier=CARRIER,
                           reason=f"customer {cb.status.value}")]
    if cb.status not in FINAL_STATUSES or cb.leg is Leg.CUSTOMER:
        return []
    if cb.leg is Leg.AGENT and cb.direction is Direction.INBOUND:
        return []  # an offered agent leg ended: the ACD decides what happens next (the service)
    cause = EndCause.ABANDONED if abandoned else _END_CAUSE[cb.status]
    ended: list[Event] = [CallEnded(
        at=at, call_id=cb.call_id, carrier=CARRIER, cause=cause, cause_code=cb.sip_response_code,
        talk_seconds=talk_seconds,
    )]
    if cb.leg is Leg.AGENT and cb.status in _DIAL_OUTCOME:  # our outbound agent leg never connected
        ended.append(DialResult(
            at=at, call_id=cb.call_id, outcome=DialOutcome.FAILED, carrier=CARRIER,
            reason=f"agent leg {cb.status.value}",
        ))
    return ended


def callback_keys(kind: str, cb: TwilioCallback) -> list[tuple[str, str, str, str]]:
    """What makes a callback the same one again: its CallSid with its status (for a ``<Dial>``
    action, the dial's status), and with its sequence number when Twilio sends one."""
    status = cb.dial_call_status.value if kind == "dial" and cb.dial_call_status else cb.status.value
    keys = [(kind, cb.call_sid, "status", status)]
    if cb.sequence_number is not None:
        keys.append((kind, cb.call_sid, "seq", str(cb.sequence_number)))
    return keys


class CallbackDeduper:
    """Remembers callbacks seen, so a repeated one (same CallSid and status or sequence) is dropped.

    Pure state, bounded: the oldest keys are forgotten past ``max_entries``.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._seen: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self._max = max_entries

    def first_time(self, kind: str, cb: TwilioCallback) -> bool:
        """True the first time this callback is seen (and remember it), False for a repeat."""
        keys = callback_keys(kind, cb)
        if any(key in self._seen for key in keys):
            return False
        for key in keys:
            self._seen[key] = None
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)
