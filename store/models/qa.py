"""QA reviews (issue 22): a supervisor's scoring of one recorded call against a scorecard.

The review keeps a copy of the scorecard as it was (``scorecard_snapshot``, with its code and
version), so editing the scorecard later never changes a past score. ``answers`` maps each question
code to "yes", "no", "na" or a scale point; ``question_comments`` maps question codes to the
reviewer's remarks. One review per call and scorecard.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class QaReview(Base):
    __tablename__ = "qa_reviews"
    __table_args__ = (
        UniqueConstraint("call_id", "scorecard", name="uq_qa_reviews_call_scorecard"),
        Index("ix_qa_reviews_agent_scored", "agent_id", "scored_at"),
        Index("ix_qa_reviews_scored_at", "scored_at"),
    )

    id: Mapped[IntPk]
    call_id: Mapped[str] = mapped_column(String(80))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scorecard: Mapped[str] = mapped_column(String(64))
    scorecard_version: Mapped[int]
    scorecard_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    question_comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    comments: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float]
    auto_failed: Mapped[bool] = mapped_column(default=False)
    failed_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
