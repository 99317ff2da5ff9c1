"""Live agent presence, shared by every worker (the dialer, the wallboard and the API read it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow


class AgentPresence(Base):
    """One row per agent: state, since when, why, and the current call."""

    __tablename__ = "agent_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="logged_out")  # domain AgentState values
    reason: Mapped[str | None] = mapped_column(String(64))  # pause code
    since: Mapped[datetime] = mapped_column(default=utcnow)
    call_id: Mapped[str | None] = mapped_column(String(80))
    wrapup_until: Mapped[datetime | None]
    last_call_ended_at: Mapped[datetime | None]  # longest-idle ordering
    worker_id: Mapped[str | None] = mapped_column(String(64))
