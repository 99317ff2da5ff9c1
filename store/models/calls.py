"""Call records, the calls-to-make queue, dial attempts and manual-dial approvals."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, Code, IntPk, Timestamped, utcnow


class CallRecord(Base):
    """Every call, inbound or outbound, keyed by the carrier-independent ``call_id``."""

    __tablename__ = "call_records"
    __table_args__ = (
        # the calls still open on a server (failover reconciliation): only rows without ended_at
        Index("ix_call_records_open", "server", postgresql_where=text("ended_at IS NULL"),
              sqlite_where=text("ended_at IS NULL")),
    )

    id: Mapped[IntPk]
    call_id: Mapped[str] = mapped_column(String(80), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(16), default="asterisk")
    server: Mapped[str | None] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(32))  # E.164 where it parses
    dialed_number: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64), index=True)
    ivr: Mapped[list[str]] = mapped_column(JSON, default=list)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    device: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(80))
    offered_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    hold_seconds: Mapped[int | None]
    ring_seconds: Mapped[int | None]
    talk_seconds: Mapped[int | None]
    cause: Mapped[str | None] = mapped_column(String(32))
    cause_code: Mapped[int | None]
    abandoned: Mapped[bool] = mapped_column(default=False)


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"  # eligible from next_eligible_at
    RESERVED = "reserved"  # claimed for an agent, preview shown
    DIALING = "dialing"
    WAITING_OUTCOME = "waiting_outcome"  # call done, waiting for the agent's disposition
    DONE = "done"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"  # in a supervisor's queue


class CallTask(Timestamped, Base):
    """Seed 001 'Calls to Make': one queued outbound call with its reason and script."""

    __tablename__ = "call_tasks"
    __table_args__ = (
        Index("ix_call_tasks_pick", "campaign_id", "status", "priority", "next_eligible_at"),
        Index("ix_call_tasks_customer_status", "customer_id", "status"),
    )

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    reason: Mapped[Code]  # reasons.yaml code: overdue_loan, broken_promise, callback, late ...
    source: Mapped[str] = mapped_column(String(32), default="rule")  # rule, event, callback, manual
    priority: Mapped[float] = mapped_column(default=0.0)  # higher first
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=20), default=TaskStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_eligible_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # callbacks: owning agent
    owner_until: Mapped[datetime | None]  # after this, any agent in the campaign may take it
    reserved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reserved_at: Mapped[datetime | None]
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("promises.id", ondelete="SET NULL"))
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    blocked_rule: Mapped[str | None] = mapped_column(String(64))  # last compliance rule that held it


class AttemptState(enum.StrEnum):
    REQUESTED = "requested"
    SENT = "sent"
    UNKNOWN = "unknown"  # sent, outcome unknown after a drop: reconciled from events, never re-sent
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    NOT_SENT = "not_sent"


class DialAttempt(Base):
    """One dial. ``id`` (``sb-...``) is the call_id the carrier echoes back."""

    __tablename__ = "dial_attempts"
    __table_args__ = (Index("ix_dial_attempts_customer_at", "customer_id", "requested_at"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("call_tasks.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    number_e164: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(32), default="customer")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    carrier: Mapped[str] = mapped_column(String(16), default="asterisk")
    kind: Mapped[str] = mapped_column(String(16), default="progressive")  # progressive, click, manual
    state: Mapped[AttemptState] = mapped_column(
        Enum(AttemptState, native_enum=False, length=16), default=AttemptState.REQUESTED
    )
    conversation: Mapped[bool] = mapped_column(default=False)  # right-party talk (Reg F 7-day rule)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    EXPIRED = "expired"


class DialApproval(Base):
    """Seed 001 'Outgoing Call': a supervisor's approval to dial a number outside the queue."""

    __tablename__ = "dial_approvals"

    id: Mapped[IntPk]
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    number_e164: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ApprovalStatus] = mapped_column(
        Enum(ApprovalStatus, native_enum=False, length=16), default=ApprovalStatus.PENDING
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None]  # approved: open until; pending: times out at
