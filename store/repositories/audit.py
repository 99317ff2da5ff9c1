"""The audit log: who read a customer's record and who changed what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEntry


class AuditLog:
    def __init__(self, session: AsyncSession, actor_id: int | None) -> None:
        self.session = session
        self.actor_id = actor_id

    def record(self, action: str, entity: str, entity_id: object = None, *,
               customer_id: int | None = None, details: Mapping[str, Any] | None = None) -> None:
        """Add an entry to the caller's unit of work (committed with the change it describes)."""
        self.session.add(AuditEntry(
            actor_id=self.actor_id, action=action, entity=entity,
            entity_id=None if entity_id is None else str(entity_id)[:64],
            customer_id=customer_id, details=dict(details or {}),
        ))

    async def for_customer(self, customer_id: int, limit: int = 100) -> list[AuditEntry]:
        rows = await self.session.scalars(
            select(AuditEntry).where(AuditEntry.customer_id == customer_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
        return list(rows.all())
