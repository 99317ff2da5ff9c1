"""Carrier webhooks already handled: shared by every worker and kept across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow


class WebhookReceipt(Base):
    """One key of a carrier callback (e.g. ``twilio:status:CA..:completed``) and the answer given."""

    __tablename__ = "webhook_receipts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    answer: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
