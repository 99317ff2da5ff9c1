"""A compliance pack: the rules of one jurisdiction, loaded from ``config/compliance/<name>.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.compliance.context import Channel, Purpose, Relation

if TYPE_CHECKING:
    from domain.compliance.messages import MessagePolicy

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    """Local wall-clock window ``[start, end)`` in minutes after midnight (``end`` may be 1440)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"window {self.start}-{self.end} must satisfy 0 <= start < end <= 1440")

    def contains(self, wall: datetime) -> bool:
        since_midnight = wall - wall.replace(hour=0, minute=0, second=0, microsecond=0)
        return timedelta(minutes=self.start) <= since_midnight < timedelta(minutes=self.end)

    def label(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


@dataclass(frozen=True)
class AttemptLimits:
    """Attempt limits; they apply to dials whose channel, purpose and relation are in scope, and
    count the earlier attempts whose channel and relation are in scope."""

    max_per_day: int | None = None
    max_per_7d: int | None = None
    pause_after_conversation: bool = False
    per_debt: bool = False
    channels: frozenset[Channel] = frozenset({"call"})
    purposes: frozenset[Purpose] = frozenset({"collections"})
    relations: frozenset[Relation] = frozenset({"customer", "guarantor", "relationship_officer",
                                                "alternative_contact"})


@dataclass(frozen=True)
class RelationPolicy:
    """Relations that may be dialled for one purpose; ``with_consent`` maps a relation to the
    customer consent flag that unlocks it (``alternative_contact: alt_contacts``)."""

    allowed: frozenset[Relation]
    with_consent: Mapping[Relation, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    """``week`` holds the calling windows of Monday..Sunday (an empty tuple: closed that day)."""

    name: str
    week: tuple[tuple[Window, ...], ...]
    limits: AttemptLimits
    relations: Mapping[Purpose, RelationPolicy]
    do_not_call_channels: frozenset[Channel] = frozenset({"call", "sms"})
    description: str = ""
    messages: MessagePolicy | None = None  # domain/compliance/messages.py; None: the calling hours
    promise_horizon_days: int = 30  # how far ahead a customer may promise to pay (the IVR refuses later dates)
    monitor_notice_required: bool = False  # the agent must be told when a supervisor listens (issue 22)

    def __post_init__(self) -> None:
        if len(self.week) != len(WEEKDAYS):
            raise ValueError("week must hold 7 days, Monday first")
        if not any(self.week):
            raise ValueError("the calling window is closed every day")
