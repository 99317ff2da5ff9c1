"""Pydantic models of the editable list files in config/defaults/ (one model per file).

Cross-file references (a reason's campaign, a reason's SMS template) are checked by
:mod:`config.lists` once every file is loaded.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from config.lists.common import (
    INTERACTION_FIELDS,
    Code,
    Item,
    Label,
    ListModel,
    Unique,
    check_placeholders,
    find,
)

DialerHint = Literal["close", "retry", "reschedule_callback"]
ScriptLine = Annotated[str, AfterValidator(check_placeholders)]


# --- dispositions.yaml: the 3-layer disposition tree (seed 003) ----------------------------------

class DispositionNode(Item):
    """A node of any layer. ``requires`` names interaction fields that must be filled in."""

    requires: list[str] = Field(default_factory=list)
    dialer: DialerHint | None = None
    escalate: bool = False  # saving it raises an escalation (dialer.yaml escalation.disposition)
    retired: bool = False  # kept so old notes stay readable; refused on new notes, hidden in forms

    @field_validator("requires")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - INTERACTION_FIELDS)
        if unknown:
            raise ValueError(f"unknown interaction field(s) {unknown}; known: {sorted(INTERACTION_FIELDS)}")
        return value


class Resolution(DispositionNode):
    """Layer 3: the final action or resolution."""


class Reason(DispositionNode):
    """Layer 2: the detailed reason, with its resolutions."""

    resolutions: Unique[Resolution] = Field(default_factory=list)


class Status(DispositionNode):
    """Layer 1: contacted, not contacted, pending."""

    reasons: Unique[Reason] = Field(min_length=1)


class ActivityMapping(ListModel):
    """A seed 002 activity disposition ("No Answer") placed on the tree."""

    label: Label
    status: Code
    reason: Code
    resolution: Code | None = None


class DispositionTree(ListModel):
    require_resolution: bool = False
    statuses: Unique[Status] = Field(min_length=1)
    activity_map: list[ActivityMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _activity_map_resolves(self) -> DispositionTree:
        seen: set[str] = set()
        for index, entry in enumerate(self.activity_map):
            where = f"activity_map.{index}"
            if entry.label.casefold() in seen:
                raise ValueError(f"{where}: duplicate activity label {entry.label!r}")
            seen.add(entry.label.casefold())
            status = find(self.statuses, entry.status)
            if status is None:
                raise ValueError(f"{where}.status: unknown status {entry.status!r}")
            reason = find(status.reasons, entry.reason)
            if reason is None:
                raise ValueError(f"{where}.reason: reason {entry.reason!r} "
                                 f"is not under status {entry.status!r}")
            if entry.resolution is not None and find(reason.resolutions, entry.resolution) is None:
                raise ValueError(f"{where}.resolution: resolution {entry.resolution!r} "
                                 f"is not under reason {entry.reason!r}")
        return self


# --- followup.yaml: seed 000 follow-up note fields -------------------------------------------------

class StatusAction(Item):
    """A Call Status Action; ``party_responses`` are codes from the file's party_responses list."""

    party_responses: list[Code] = Field(default_factory=list)


class CallStatus(Item):
    connected: bool
    actions: Unique[StatusAction] = Field(min_length=1)


class FollowupLists(ListModel):
    actions: Unique[Item] = Field(min_length=1)  # whom the agent contacts
    call_results: Unique[Item] = Field(min_length=1)
    call_statuses: Unique[CallStatus] = Field(min_length=1)
    party_responses: Unique[Item] = Field(min_length=1)
    client_statuses: Unique[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _responses_resolve(self) -> FollowupLists:
        known = {item.code for item in self.party_responses}
        for s_index, status in enumerate(self.call_statuses):
            for a_index, action in enumerate(status.actions):
                for code in action.party_responses:
                    if code not in known:
                        raise ValueError(f"call_statuses.{s_index}.actions.{a_index}.party_responses: "
                                         f"unknown party response {code!r}")
        return self


# --- notes.yaml: seed 004 user-defined lists -------------------------------------------------------

class NoteLists(ListModel):
    purposes: Unique[Item] = Field(min_length=1)
    call_outcomes: Unique[Item] = Field(min_length=1)
    customer_moods: Unique[Item] = Field(min_length=1)


# --- reasons.yaml: seed 001 reasons for calling, with scripts ------------------------------------

class CallReason(Item):
    kind: Literal["inbound", "outbound", "both"]
    campaign: Code
    description: str = ""
    sms_template: Code | None = None
    script: list[ScriptLine] = Field(min_length=1)
    retired: bool = False  # kept so old notes stay readable; hidden from the desktop's drop-downs


class Greeting(ListModel):
    inbound: list[ScriptLine] = Field(min_length=1)
    outbound: list[ScriptLine] = Field(min_length=1)


class ReasonLists(ListModel):
    greeting: Greeting
    reasons: Unique[CallReason] = Field(min_length=1)


# --- pause_codes.yaml ------------------------------------------------------------------------------

class PauseCode(Item):
    max_minutes: int | None = Field(default=None, gt=0, le=480)


class PauseCodes(ListModel):
    pause_codes: Unique[PauseCode] = Field(min_length=1)


# --- templates.yaml: SMS and email message templates ---------------------------------------------

class MessageTemplate(Item):
    channel: Literal["sms", "email"]
    subject: ScriptLine | None = None
    body: ScriptLine

    @model_validator(mode="after")
    def _subject_matches_channel(self) -> MessageTemplate:
        if self.channel == "email" and not self.subject:
            raise ValueError(f"email template {self.code!r} needs a subject")
        if self.channel == "sms" and self.subject is not None:
            raise ValueError(f"sms template {self.code!r} cannot have a subject")
        return self


class TemplateLists(ListModel):
    # Seed 001: a text over one SMS part is charged for each part (messaging/segments.py counts them).
    sms_warning: Label = "Messages over 160 characters are sent in parts and charged double."
    placeholder_defaults: dict[str, str] = Field(default_factory=dict)
    templates: Unique[MessageTemplate] = Field(min_length=1)

    @field_validator("placeholder_defaults")
    @classmethod
    def _known_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            check_placeholders("{" + key + "}")
        return value


# --- dialer.yaml: priorities, task rules, retries, postpone, escalation, campaigns ---------------

class PriorityWeights(ListModel):
    overdue_amount: float = Field(ge=0)
    risk: float = Field(ge=0)
    days_past_due: float = Field(ge=0)
    due_callback: float = Field(ge=0)


class TaskRules(ListModel):
    days_past_due_threshold: int = Field(ge=0)
    overdue_amount_threshold: float = Field(ge=0)
    broken_promise_grace_days: int = Field(ge=0)
    callback_lead_minutes: int = Field(ge=0, le=1440)  # a due callback is queued this early


class RetryRule(ListModel):
    max_attempts: int = Field(ge=0, le=50)
    spacing_minutes: int = Field(ge=1, le=10080)


class RetryPolicy(ListModel):
    no_answer: RetryRule
    busy: RetryRule
    failed: RetryRule


class PostponeOptions(ListModel):
    hours: list[Annotated[int, Field(gt=0, le=72)]] = Field(min_length=1)
    comment_required: bool = True


class EscalationRules(ListModel):
    failed_attempts: int = Field(ge=1)
    broken_promise_amount: float = Field(ge=0)
    queue: Code
    # Rules of the supervisors' escalation queue (None: the rule is off).
    broken_promises: int | None = Field(default=None, ge=1)  # the Nth broken promise of an account
    days_past_due: int | None = Field(default=None, ge=1)
    overdue_amount: float | None = Field(default=None, gt=0)
    no_contact_days: int | None = Field(default=None, ge=1)  # past due and not contacted for N days
    disposition: bool = True  # a saved disposition whose node is marked ``escalate``


class Campaign(Item):
    carrier: Literal["asterisk", "twilio"]
    queue: Code
    service_level_seconds: int | None = Field(default=None, ge=1, le=3600)  # SLA threshold of its queue


class ApprovalRule(ListModel):
    """Which dials need a supervisor's approval (seed 001 "Outgoing Call"); dialer/permission.py."""

    number_off_record: bool = True  # a number that is neither the customer's nor one of their contacts
    customer_not_granted: bool = True  # a customer the agent neither is assigned nor was granted


class DialerConfig(ListModel):
    priority_weights: PriorityWeights
    task_rules: TaskRules
    retry: RetryPolicy
    postpone: PostponeOptions
    escalation: EscalationRules
    campaigns: Unique[Campaign] = Field(min_length=1)
    approval_required: ApprovalRule = ApprovalRule()
