"""Messages (SMS and email, both ways) and bulk reminder runs: the messaging package's outbox.

A message row is written in the same transaction as whatever asks for it (a follow-up note, the
composer, a bulk run), as ``queued`` or ``blocked``. Senders claim ``queued`` rows (``sending``,
with the worker and the time) and write the outcome. Statuses: queued, sending, sent, delivered,
failed, unknown (sent, no answer: never re-sent blindly), blocked (the compliance gate), received
(inbound).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class BulkSend(Base):
    """One bulk reminder run: a template sent to a filtered set of customers, resumable."""

    __tablename__ = "bulk_sends"

    id: Mapped[IntPk]
    template: Mapped[str] = mapped_column(String(64))
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    filter_label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="queuing")  # queuing, sending, done, cancelled
    total: Mapped[int] = mapped_column(default=0)  # customers matched when it was confirmed
    cursor: Mapped[int] = mapped_column(default=0)  # the last customer id queued (resume point)
    estimated_cost: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_claim", "status", "priority", "not_before", "id"),
        Index("ix_messages_customer_created", "customer_id", "created_at"),
        UniqueConstraint("provider", "provider_message_id", name="uq_messages_provider_message_id"),
        UniqueConstraint("bulk_id", "customer_id", name="uq_messages_bulk_customer"),
    )

    id: Mapped[IntPk]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    bulk_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_sends.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(16))  # outbound, inbound
    channel: Mapped[str] = mapped_column(String(8))  # sms, email
    relation: Mapped[str] = mapped_column(String(32), default="customer")
    to_address: Mapped[str] = mapped_column(String(200))  # E.164 or an email address
    from_address: Mapped[str | None] = mapped_column(String(200))
    template: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(64))  # the gate's rule when blocked
    reason: Mapped[str | None] = mapped_column(String(500))  # why blocked / failed / unknown
    next_allowed_at: Mapped[datetime | None]
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    cost: Mapped[str | None] = mapped_column(String(32))  # as the provider says it: "KES 0.8000"
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str | None] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(default=0)  # 0: an agent's message, 1: bulk
    attempts: Mapped[int] = mapped_column(default=0)  # rounds over the providers
    not_before: Mapped[datetime] = mapped_column(default=utcnow)  # not claimed before this
    not_after: Mapped[datetime | None]  # the hours for messages end: not sent after this
    worker: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
