"""IVR sessions: one row per walk of a caller through the phone menu (see ``ivr/``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class IvrSession(Base):
    """Who called, what they did, how it ended. ``outcome`` is empty while the caller is still in
    the menu; ``path`` holds the node ids with the digits entered (verification digits masked);
    ``state`` is the engine's state between two Twilio requests (never a secret); ``pop`` is what
    the agent's screen-pop shows when the caller reaches an agent."""

    __tablename__ = "ivr_sessions"
    __table_args__ = (Index("ix_ivr_sessions_started_outcome", "started_at", "outcome"),)

    id: Mapped[IntPk]
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    carrier: Mapped[str] = mapped_column(String(16))
    menu: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    identified_by: Mapped[str | None] = mapped_column(String(16))  # caller_id, account
    verified: Mapped[bool | None]
    path: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(String(16))  # self_served, promise, callback, agent, hung_up
    end_node: Mapped[str | None] = mapped_column(String(64))
    abandoned: Mapped[bool] = mapped_column(default=False)  # the caller hung up in the menu
    queue: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(32))  # verification_failed, not_identified
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("promises.id", ondelete="SET NULL"))
    callback_at: Mapped[datetime | None]
    balance_heard: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None]
    step: Mapped[int] = mapped_column(default=0)  # Twilio: requests answered so far
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pop: Mapped[dict[str, Any] | None] = mapped_column(JSON)
