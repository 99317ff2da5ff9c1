"""Note search across customers (seed 004): by purpose, channel, activity type, operator, outcome,
mood, complete or open, a date range and words in the subject, detail or comments.

Newest first; an agent sees the notes of the customers assigned to them only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.models import Customer, Interaction, User

NoteState = Literal["complete", "open"]
MAX_WORDS = 8


@dataclass(frozen=True, slots=True)
class NoteQuery:
    purpose: str | None = None
    channel: str | None = None
    activity_type: str | None = None
    operator: str | None = None
    outcome: str | None = None
    mood: str | None = None
    state: NoteState | None = None
    since: datetime | None = None
    until: datetime | None = None
    words: Sequence[str] = ()
    customer_id: int | None = None
    assigned_to: int | None = None  # an agent: only customers assigned to this user


@dataclass(frozen=True, slots=True)
class FoundNote:
    note: Interaction
    operator: str | None
    customer_name: str


def words_of(text: str | None) -> list[str]:
    """The search words: lower case, at most ``MAX_WORDS``, each at most 50 characters."""
    return [w[:50] for w in (text or "").casefold().split()][:MAX_WORDS]


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(q: NoteQuery) -> Select[Interaction, str | None, str]:
    operator = aliased(User)
    query = (select(Interaction, operator.username, Customer.name)
             .join(Customer, Customer.id == Interaction.customer_id)
             .outerjoin(operator, operator.id == Interaction.operator_id))
    equal = [(Interaction.purpose, q.purpose), (Interaction.channel, q.channel),
             (Interaction.activity_type, q.activity_type), (operator.username, q.operator),
             (Interaction.call_outcome, q.outcome), (Interaction.customer_mood, q.mood),
             (Interaction.customer_id, q.customer_id), (Customer.assigned_agent_id, q.assigned_to)]
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    if q.state is not None:
        query = query.where(Interaction.complete.is_(q.state == "complete"))
    if q.since is not None:
        query = query.where(Interaction.created_at >= q.since)
    if q.until is not None:
        query = query.where(Interaction.created_at < q.until)
    texts = [func.lower(func.coalesce(column, "")) for column in
             (Interaction.subject, Interaction.detail, Interaction.comments)]
    if q.words:
        query = query.where(and_(*(or_(*(t.like(_like(w), escape="\\") for t in texts)) for w in q.words)))
    return query


async def search_notes(session: AsyncSession, q: NoteQuery, *, limit: int, offset: int = 0) -> list[FoundNote]:
    rows = await session.execute(
        _query(q).order_by(Interaction.created_at.desc(), Interaction.id.desc()).offset(offset).limit(limit))
    return [FoundNote(note, operator, name) for note, operator, name in rows.tuples()]
