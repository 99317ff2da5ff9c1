"""Seed 004 reports over the customer notes: by type (purpose), by operator and by customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.models import Customer, Interaction, User

ReportBy = Literal["type", "operator", "customer"]
MAX_ROWS = 10_000
NO_PURPOSE = "none"  # the type of a note without a purpose


@dataclass(frozen=True, slots=True)
class NoteRow:
    note: Interaction
    operator: str | None
    customer_name: str

    def key(self, by: ReportBy) -> str:
        if by == "type":  # the seed 004 note type: its purpose code (one kind of category)
            return self.note.purpose or NO_PURPOSE
        if by == "operator":
            return self.operator or "(none)"
        return str(self.note.customer_id)


async def notes_report(session: AsyncSession, by: ReportBy, since: datetime, until: datetime,
                       key: str | None = None) -> list[NoteRow]:
    """Notes with ``since <= created_at < until`` ordered by the grouping key, then time."""
    operator = aliased(User)
    query: Select[Interaction, str | None, str] = (
        select(Interaction, operator.username, Customer.name)
        .join(Customer, Customer.id == Interaction.customer_id)
        .outerjoin(operator, operator.id == Interaction.operator_id)
        .where(Interaction.created_at >= since, Interaction.created_at < until))
    if key is not None:
        if by == "type":
            query = query.where(Interaction.purpose.is_(None) if key == NO_PURPOSE else Interaction.purpose == key)
        elif by == "operator":
            query = query.where(operator.username == key)
        else:
            query = query.where(Interaction.customer_id == (int(key) if key.isdigit() else -1))
    rows = await session.execute(query.order_by(Interaction.created_at, Interaction.id).limit(MAX_ROWS))
    result = [NoteRow(note, username, name) for note, username, name in rows.tuples()]
    result.sort(key=lambda r: r.key(by))
    return result
