"""The supervisors' side: escalations, config versions, the agent state log, and the read indexes
of the call log and note search on tables defined elsewhere."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow
from store.models.calls import CallRecord
from store.models.work import Interaction


class EscalationState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # still open: a supervisor has it in hand
    CLOSED = "closed"


class Escalation(Base):
    """An account put in front of the supervisors by a rule of dialer.yaml's ``escalation``.

    ``open_key`` is ``"<customer>:<rule>"`` while the escalation is open (NULL once closed): unique,
    so a rule raises at most one open escalation per account. ``(customer, rule, trigger)`` is
    unique too: the fact that fired it (a promise, a task, a note, a past-due spell) never raises a
    second one, even after the first was closed.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("customer_id", "rule", "trigger", name="uq_escalations_trigger"),
        Index("ix_escalations_state_raised", "state", "raised_at"),
    )

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(80))
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    state: Mapped[EscalationState] = mapped_column(
        Enum(EscalationState, native_enum=False, length=16), default=EscalationState.OPEN)
    summary: Mapped[str] = mapped_column(String(300))  # "2nd broken promise, KES 12,400 overdue, 61 days"
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the account's agent when raised
    task_id: Mapped[int | None] = mapped_column(ForeignKey("call_tasks.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))  # acknowledged, reassigned, follow_up, closed
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{action, by, at, note}]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfigVersion(Base):
    """One saved version of an editable list: the whole document, who, when and why.

    Version 1 of each list is the shipped ``config/defaults`` file (``created_by_id`` NULL); the
    newest version is the one in force. ``text`` is the YAML as it was written (comments kept).
    """

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_config_versions_name_version"),)

    id: Mapped[IntPk]
    name: Mapped[str] = mapped_column(String(32))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    restored_from: Mapped[int | None]  # the version this one restored


class AgentStateEntry(Base):
    """The agent's state from ``at`` until the agent's next entry (the presence history)."""

    __tablename__ = "agent_state_log"
    __table_args__ = (
        Index("ix_agent_state_log_user_at", "user_id", "at"),
        Index("ix_agent_state_log_call", "call_id"),
    )

    id: Mapped[IntPk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))  # the pause code
    call_id: Mapped[str | None] = mapped_column(String(80))


# Read paths of the call log and of note search (tables of store.models.calls / .work). The abandoned
# calls' index is partial (a few percent of the rows): a queue's abandoned calls without reading its
# answered ones, at almost no cost to the ring path's writes.
Index("ix_call_records_agent_offered", CallRecord.agent_id, CallRecord.offered_at)
Index("ix_call_records_abandoned_offered", CallRecord.offered_at,
      postgresql_where=CallRecord.abandoned.is_(True), sqlite_where=CallRecord.abandoned.is_(True))
Index("ix_interactions_created", Interaction.created_at)
