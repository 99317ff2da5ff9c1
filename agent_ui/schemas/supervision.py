"""Response schemas of the supervision routes (issue 18): the escalation queue and its report, the SLA
and activity reports, note search, and the configuration with history. See :mod:`agent_ui.schemas.records`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent_ui.schemas.records import InteractionOut, IsoDay, IsoTime, Out
from store.models import EscalationState

EscalationStateName = Literal[EscalationState.OPEN, EscalationState.ACKNOWLEDGED, EscalationState.CLOSED]
EscalationAction = Literal["acknowledge", "reassign", "follow_up", "close"]
AgeBucket = Literal["under 1 day", "1-3 days", "3-7 days", "7 days or more"]
Outcome = Literal["open", "in hand", "reassigned", "follow-up set", "closed"]
# the account's figures when raised: overdue_amount, days_past_due, broken_promises, last_contact; a broken
# promise adds promise_amount and promise_due, a disposition interaction_id and operator
Figures = dict[str, str | int | float | None]


class EscalationActionOut(Out):
    action: EscalationAction
    by: str
    at: IsoTime
    note: str | None
    detail: str


class EscalationOut(Out):
    id: int
    customer_id: int
    customer_name: str
    customer_url: str
    rule: str
    rule_label: str
    summary: str
    figures: Figures
    state: EscalationStateName
    raised_at: IsoTime
    agent: str | None = Field(description="the account's agent now")
    raised_for: str | None = Field(description="the account's agent when it was raised")
    task_id: int | None
    outcome: str | None
    acknowledged_at: IsoTime | None
    closed_at: IsoTime | None
    age_seconds: int
    actions: list[EscalationActionOut]


class EscalationsOut(Out):
    items: list[EscalationOut]
    open_count: int
    limit: int
    offset: int


class ScanOut(Out):
    raised: int


class EscalationFiguresOut(Out):
    rule: str
    rule_label: str
    age: AgeBucket
    outcome: Outcome
    count: int


class RuleCountOut(Out):
    rule: str
    count: int


class AgeCountOut(Out):
    age: AgeBucket
    count: int


class OutcomeCountOut(Out):
    outcome: Outcome
    count: int


class EscalationReportOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    total: int
    items: list[EscalationFiguresOut]
    by_rule: list[RuleCountOut]
    by_age: list[AgeCountOut]
    by_outcome: list[OutcomeCountOut]


class SlaFiguresOut(Out):
    queue: str
    period: str = Field(description='"2026-11-30", "2026-11-30T14:00" (local) or "total"')
    threshold_seconds: int
    offered: int
    answered: int
    answered_within: int
    abandoned: int
    short_abandoned: int
    service_level: float | None
    average_speed_of_answer: float | None
    longest_wait: int | None


class SlaReportOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    by: Literal["day", "hour"]
    short_abandon_seconds: int
    items: list[SlaFiguresOut]
    totals: list[SlaFiguresOut]


class ActivityFiguresOut(Out):
    agent: str
    day: IsoDay
    logged_in_seconds: int
    ready_seconds: int
    paused_seconds: int
    paused_by_code: dict[str, int]
    ringing_seconds: int
    talk_seconds: int
    wrap_up_seconds: int
    calls: int
    promises: int
    kept_rate: float | None
    occupancy: float | None


class ActivityReportOut(Out):
    from_: IsoDay = Field(alias="from")
    to: IsoDay
    items: list[ActivityFiguresOut]


class NoteHitOut(InteractionOut):
    customer_name: str


class NoteSearchOut(Out):
    items: list[NoteHitOut]
    limit: int
    offset: int
    more: bool


class VersionInfoOut(Out):
    version: int
    comment: str
    author: str | None = Field(description="null: the shipped file (version 1)")
    created_at: IsoTime
    restored_from: int | None


class VersionsOut(Out):
    name: str
    current: int | None
    items: list[VersionInfoOut]


class VersionOut(VersionInfoOut):
    name: str
    document: dict[str, Any] = Field(description="the whole list, every default filled in")
    text: str = Field(description="its YAML text as written (comments kept)")


class DiffOut(Out):
    name: str
    from_: int = Field(alias="from")
    to: int
    lines: list[str]
    changed: int


class PreviewOut(Out):
    customer_id: int
    body: str
    subject: str | None
    missing: list[str]
    length: int
    values: dict[str, str]
