"""Interactions (follow-up notes), follow-up tasks, attachments and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class Interaction(Base):
    """A follow-up note: seed 000's fields, the 3-layer disposition (003) and seed 004's fields."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_created", "customer_id", "created_at"),)

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # call, sms, email, visit, note
    direction: Mapped[str | None] = mapped_column(String(16))  # inbound, outbound
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # automatic timestamp
    call_id: Mapped[str | None] = mapped_column(String(80), index=True)  # links to call_records.call_id
    activity_type: Mapped[str | None] = mapped_column(String(32))  # seed 002: No Answer / Left Message ...
    # Seed 000 follow-up notes
    action: Mapped[str | None] = mapped_column(String(32))  # whom contacted (contact type)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    call_result: Mapped[str | None] = mapped_column(String(64))
    call_status: Mapped[str | None] = mapped_column(String(64))
    status_action: Mapped[str | None] = mapped_column(String(64))
    party_response: Mapped[str | None] = mapped_column(String(64))
    promised_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    promised_date: Mapped[date | None]
    visit_date: Mapped[date | None]
    callback_at: Mapped[datetime | None]
    comments: Mapped[str | None] = mapped_column(Text)
    client_status: Mapped[str | None] = mapped_column(String(64))
    send_message: Mapped[bool] = mapped_column(default=False)
    message_template: Mapped[str | None] = mapped_column(String(64))
    message_body: Mapped[str | None] = mapped_column(Text)
    message_sent: Mapped[bool] = mapped_column(default=False)
    # Seed 003: the 3-layer disposition
    disposition_status: Mapped[str | None] = mapped_column(String(64))
    disposition_reason: Mapped[str | None] = mapped_column(String(64))
    disposition_resolution: Mapped[str | None] = mapped_column(String(64))
    # Seed 004
    purpose: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    call_outcome: Mapped[str | None] = mapped_column(String(64))
    customer_mood: Mapped[str | None] = mapped_column(String(64))
    complete: Mapped[bool] = mapped_column(default=True)
    reason_code: Mapped[str | None] = mapped_column(String(64))  # seed 001 reason for calling


class FollowUpTask(Base):
    """Seeds 002/004: a follow-up for an operator at a date and time; also callbacks."""

    __tablename__ = "followup_tasks"
    __table_args__ = (Index("ix_followup_assignee_due", "assignee_id", "done", "due_at"),)

    id: Mapped[IntPk]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), default="follow_up")  # follow_up, callback
    due_at: Mapped[datetime]
    instructions: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]  # task.due pushed
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """Seed 003: documents and payment confirmations; bytes on disk, checksum here."""

    __tablename__ = "attachments"

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), default="document")  # document, payment_confirmation
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(512))  # relative to settings.attachments_dir
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who read a customer's record and who changed what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_customer_at", "customer_id", "at"),)

    id: Mapped[IntPk]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))  # read, create, update, assign, call_scoped_read ...
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
