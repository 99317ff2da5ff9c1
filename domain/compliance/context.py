"""What the compliance gate is asked about: one dial or message, with everything it needs passed in.

The gate does no I/O. The caller reads the customer, the contact and the attempts history from the
store and builds a :class:`DialContext`; the same context always gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args

from domain.compliance.localtime import is_known_zone
from domain.errors import InvalidInput

Channel = Literal["call", "sms"]
Purpose = Literal["collections", "service", "sales"]
Relation = Literal["customer", "guarantor", "relationship_officer", "alternative_contact"]

CHANNELS: frozenset[str] = frozenset(get_args(Channel))
PURPOSES: frozenset[str] = frozenset(get_args(Purpose))
RELATIONS: frozenset[str] = frozenset(get_args(Relation))

#: The consent flag a customer gives to let us call their alternative contacts (CBK DCP 2022).
ALT_CONTACTS_CONSENT = "alt_contacts"


def _aware_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} must be timezone-aware", {name: "naive datetime"})
    return value.astimezone(UTC)


def _one_of(value: str, allowed: frozenset[str], name: str) -> None:
    if value not in allowed:
        raise InvalidInput(f"{name} {value!r} is not one of {sorted(allowed)}", {name: "unknown value"})


@dataclass(frozen=True)
class Attempt:
    """One earlier attempt to reach the customer (or one of their contacts).

    ``conversation`` is True when the attempt became a conversation with the right party (Reg F's
    "telephone conversation"). Attempts dated after ``now`` (clock skew) are counted, never ignored.
    """

    at: datetime
    loan_id: str | None = None
    conversation: bool = False
    relation: Relation = "customer"
    channel: Channel = "call"

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware_utc(self.at, "attempt.at"))
        _one_of(self.relation, RELATIONS, "attempt.relation")
        _one_of(self.channel, CHANNELS, "attempt.channel")


@dataclass(frozen=True)
class DialContext:
    """One dial or SMS to check. ``now`` is kept in UTC; ``timezone`` is the customer's IANA zone."""

    now: datetime
    channel: Channel
    purpose: Purpose
    timezone: str
    relation: Relation = "customer"
    consents: frozenset[str] = frozenset()
    do_not_call: bool = False
    do_not_call_at: datetime | None = None
    call_consent_revoked_at: datetime | None = None
    sms_consent_revoked_at: datetime | None = None
    loan_id: str | None = None
    history: tuple[Attempt, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "now", _aware_utc(self.now, "now"))
        object.__setattr__(self, "history", tuple(self.history))
        object.__setattr__(self, "consents", frozenset(self.consents))
        _one_of(self.channel, CHANNELS, "channel")
        _one_of(self.purpose, PURPOSES, "purpose")
        _one_of(self.relation, RELATIONS, "relation")
        if not is_known_zone(self.timezone):
            raise InvalidInput(f"unknown time zone {self.timezone!r}", {"timezone": "unknown zone"})

    def revoked_at(self) -> datetime | None:
        """When consent for this context's channel was revoked, or None."""
        return self.call_consent_revoked_at if self.channel == "call" else self.sms_consent_revoked_at


def customer_zone(name: str | None, fallback: str) -> str:
    """The customer's zone when it is a known IANA name, else ``fallback`` (settings.timezone)."""
    return name if name and is_known_zone(name) else fallback
