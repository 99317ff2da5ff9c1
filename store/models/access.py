"""Call-scoped access: an agent offered or taking a call may open the records it matched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class CallAccessGrant(Base):
    """Agent ``agent_id`` may open customer ``customer_id`` until ``until`` because of ``call_id``."""

    __tablename__ = "call_access_grants"
    __table_args__ = (Index("ix_call_access_agent_customer", "agent_id", "customer_id", "until"),)

    id: Mapped[IntPk]
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    until: Mapped[datetime]
