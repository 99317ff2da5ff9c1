"""Commands for a carrier, sent over the bus so they reach the worker that holds its connection.

The dialer and the API never import cti/: they publish these; the carrier bridge that holds the
connection (one per Asterisk server, a lease in Redis) consumes them once and answers with
:class:`DialResult` events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from domain.events.base import Event


class DialOutcome(enum.StrEnum):
    SENT = "sent"  # the carrier accepted the request; call events follow under call_id
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, outcome unknown (drop/5xx/timeout): reconcile, never re-send
    NOT_SENT = "not_sent"  # carrier unavailable: nothing went out, safe to retry later


@dataclass(frozen=True, kw_only=True)
class DialRequested(Event, type_name="carrier.dial_requested"):
    """Ring ``agent_device`` first, then dial ``customer_number`` (E.164) under ``call_id``."""

    call_id: str
    agent_device: str
    customer_number: str
    carrier: str = "asterisk"
    server: str | None = None
    caller_id: str | None = None
    campaign: str | None = None
    timeout_seconds: int = 30
    variables: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class DialResult(Event, type_name="carrier.dial_result"):
    call_id: str
    outcome: DialOutcome
    reason: str | None = None
    carrier: str = "asterisk"
