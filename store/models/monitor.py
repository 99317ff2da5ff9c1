"""Live monitoring's audit (issue 22): one row per monitoring session a supervisor started.

Who (``supervisor_id``), which call (``call_id``, and the agent on it), which mode, from when to when.
A mode change is a new session (the old one ends when the new one starts). ``status`` is
``requested`` until the carrier answers, then ``live`` or ``failed``; ``ended`` once it is over
(the supervisor stopped it, changed mode, or the call ended).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class MonitorSession(Base):
    __tablename__ = "monitor_sessions"

    id: Mapped[IntPk]
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(16))  # listen, whisper, barge
    carrier: Mapped[str] = mapped_column(String(16), default="asterisk")
    device: Mapped[str] = mapped_column(String(128))  # the supervisor's device that was rung
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested, live, failed, ended
    failure: Mapped[str | None] = mapped_column(String(500))
    agent_notified: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
