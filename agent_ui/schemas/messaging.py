"""Response schemas of messaging (SMS and email to customers; what ``routes.messaging.message_json`` writes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent_ui.schemas.records import InteractionOut, IsoTime, MoneyText, Out, PromiseOut, TaskOut

MessageChannel = Literal["sms", "email"]
MessageDirection = Literal["outbound", "inbound"]


class MessageOut(Out):
    """One message: queued, sent, delivered, failed, or blocked by a compliance rule (``rule``, ``reason``)."""

    id: int
    customer_id: int | None
    contact_id: int | None
    interaction_id: int | None
    bulk_id: int | None
    direction: MessageDirection
    channel: MessageChannel
    relation: str
    to: str
    from_: str | None = Field(alias="from")
    template: str | None
    subject: str | None
    body: str
    attachment_ids: list[int]
    status: str
    rule: str | None
    reason: str | None
    next_allowed_at: IsoTime | None
    provider: str | None
    provider_message_id: str | None
    cost: str | None
    segments: int
    encoding: str | None
    created_at: IsoTime | None
    sent_at: IsoTime | None
    delivered_at: IsoTime | None
    updated_at: IsoTime | None
    sent_by: str | None


class SavedInteractionOut(InteractionOut):
    """A saved note, with what it created: a promise, tasks, and the message it asked for (same transaction)."""

    promise: PromiseOut | None
    tasks: list[TaskOut]
    message: MessageOut | None


class MessagesPageOut(Out):
    """A customer's conversation, newest first."""

    items: list[MessageOut]
    limit: int
    offset: int


class GateBlockOut(Out):
    """What the compliance gate would refuse, and from when it is allowed again."""

    rule: str
    message: str
    next_allowed_at: IsoTime | None


class PreviewOut(Out):
    """A text as it would be sent: its encoding, length and SMS parts (``warning`` when charged twice or more)."""

    text: str
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int
    per_segment: int
    warning: str | None
    channel: MessageChannel
    subject: str | None
    blocked: GateBlockOut | None


class CircuitOut(Out):
    """One SMS provider's circuit breaker (times are Unix seconds)."""

    provider: str
    state: Literal["closed", "open", "half_open"]
    failures: int
    opened_at: float | None
    retry_at: float | None


class SmsStatusOut(Out):
    on: bool
    providers: list[CircuitOut]


class EmailStatusOut(Out):
    on: bool
    from_: str | None = Field(alias="from")


class MessagingStatusOut(Out):
    sms: SmsStatusOut
    email: EmailStatusOut


class BulkFilterOut(Out):
    kind: Literal["promises_due", "days_past_due"]
    day: str | None
    min_days: int | None
    max_days: int | None
    campaign: str | None


class BulkExampleOut(Out):
    """A customer of the preview's sample, with the text they would get."""

    customer_id: int
    name: str
    text: str
    segments: int
    blocked: str | None


class BulkProblemOut(Out):
    """A customer of the preview's sample whose text could not be composed."""

    customer_id: int
    name: str
    problem: str


class BulkPreviewOut(Out):
    """How many customers, the estimated cost, and what the gate blocks in a sample."""

    filter: BulkFilterOut
    label: str
    template: str
    count: int
    sample_size: int
    average_segments: float
    estimated_cost: MoneyText
    currency: str
    price_per_segment: str
    blocked_in_sample: dict[str, int]
    examples: list[BulkExampleOut | BulkProblemOut]


class BulkRunOut(Out):
    """A bulk run and its progress (``counts``: its messages by status)."""

    id: int
    template: str
    filter: BulkFilterOut
    label: str
    status: Literal["queuing", "sending", "done", "cancelled"]
    total: int
    written: int
    settled: int
    counts: dict[str, int]
    estimated_cost: str | None
    created_at: IsoTime
    finished_at: IsoTime | None
    percent: float


class DeliveryReportsOut(Out):
    """A provider's delivery report: how many were received and how many changed a message."""

    ok: bool
    applied: int
    received: int


class InboundOut(Out):
    """An inbound SMS stored (``opted_out``: it was a STOP)."""

    ok: bool
    message_id: int
    opted_out: bool


class InboundRepeatedOut(Out):
    """An inbound SMS the provider sent again: nothing changed."""

    ok: bool
    message_id: int
    repeated: Literal[True]
