"""QA reviews and the recorded calls they may score (issue 22). Who may see which is decided by the caller."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.qa_selection import CandidateCall
from store.models import CallRecord, Customer, DialAttempt, Interaction, QaReview, Recording, RecordingStatus, User


@dataclass(frozen=True, slots=True)
class ReviewRow:
    review: QaReview
    agent: str
    agent_name: str | None
    reviewer: str
    reviewer_name: str | None
    call: CallRecord | None
    customer_name: str | None


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """A call with a stored recording, as the list of calls to score shows it."""

    call: CallRecord
    recording_id: int
    agent: str
    agent_name: str | None
    customer_name: str | None


_Agent, _Reviewer = aliased(User), aliased(User)


class QaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _rows(self) -> Select[QaReview, str, str | None, str, str | None, CallRecord, str]:
        return (select(QaReview, _Agent.username, _Agent.display_name, _Reviewer.username, _Reviewer.display_name,
                       CallRecord, Customer.name)
                .join(_Agent, _Agent.id == QaReview.agent_id)
                .join(_Reviewer, _Reviewer.id == QaReview.reviewer_id)
                .outerjoin(CallRecord, CallRecord.call_id == QaReview.call_id)
                .outerjoin(Customer, Customer.id == CallRecord.customer_id))

    async def one(self, review_id: int) -> ReviewRow | None:
        row = (await self.session.execute(self._rows().where(QaReview.id == review_id))).first()
        return None if row is None else ReviewRow(*row)

    async def listing(self, *, agent_id: int | None = None, start: datetime | None = None,
                      end: datetime | None = None, call_id: str | None = None, limit: int = 200) -> list[ReviewRow]:
        """Reviews newest first, of one agent, scored in ``[start, end)``, of one call."""
        query = self._rows()
        if agent_id is not None:
            query = query.where(QaReview.agent_id == agent_id)
        if start is not None:
            query = query.where(QaReview.scored_at >= start)
        if end is not None:
            query = query.where(QaReview.scored_at < end)
        if call_id is not None:
            query = query.where(QaReview.call_id == call_id)
        rows = await self.session.execute(query.order_by(QaReview.scored_at.desc(), QaReview.id.desc()).limit(limit))
        return [ReviewRow(*row) for row in rows]

    async def reviewed_calls(self, call_ids: Collection[str]) -> set[str]:
        if not call_ids:
            return set()
        found = await self.session.scalars(select(QaReview.call_id).where(QaReview.call_id.in_(list(call_ids))))
        return set(found)

    async def recorded_call(self, call_id: str) -> RecordedCall | None:
        found = await self.recorded_calls(call_ids=[call_id])
        return found[0] if found else None

    async def recorded_calls(self, *, start: datetime | None = None, end: datetime | None = None,
                             call_ids: Collection[str] = ()) -> list[RecordedCall]:
        """Calls answered by an agent that have a stored recording (the first one stored per call)."""
        query = (select(CallRecord, Recording.id, User.username, User.display_name, Customer.name)
                 .join(Recording, Recording.call_id == CallRecord.call_id)
                 .join(User, User.id == CallRecord.agent_id)
                 .outerjoin(Customer, Customer.id == CallRecord.customer_id)
                 .where(Recording.status == RecordingStatus.STORED))
        if start is not None:
            query = query.where(CallRecord.offered_at >= start)
        if end is not None:
            query = query.where(CallRecord.offered_at < end)
        if call_ids:
            query = query.where(CallRecord.call_id.in_(list(call_ids)))
        found: dict[str, RecordedCall] = {}
        for call, recording_id, agent, agent_name, customer in await self.session.execute(
                query.order_by(CallRecord.offered_at, Recording.id)):
            found.setdefault(call.call_id, RecordedCall(call, recording_id, agent, agent_name, customer))
        return list(found.values())

    async def candidates(self, calls: list[RecordedCall], dispute_reasons: Collection[str]) -> list[CandidateCall]:
        """The calls as the picking rule sees them: disputed (a note of the call with a dispute
        reason) and blocked before (the dial of a task the compliance gate had held)."""
        ids = [c.call.call_id for c in calls]
        disputed: set[str] = set()
        held: set[str] = set()
        if ids and dispute_reasons:
            disputed = set(await self.session.scalars(
                select(Interaction.call_id).where(Interaction.call_id.in_(ids),
                                                  Interaction.disposition_reason.in_(list(dispute_reasons)))))
        attempts = [c.call.attempt_id for c in calls if c.call.attempt_id]
        if attempts:
            for attempt_id, details in await self.session.execute(
                    select(DialAttempt.id, DialAttempt.details).where(DialAttempt.id.in_(attempts))):
                rule = details.get("blocked_before") if isinstance(details, dict) else None
                if rule and rule != "no_number":  # held by a contact rule, not for want of a number
                    held.add(attempt_id)
        return [CandidateCall(call_id=c.call.call_id, agent_id=c.call.agent_id or 0,
                              started_at=c.call.answered_at or c.call.offered_at, talk_seconds=c.call.talk_seconds,
                              dispute=c.call.call_id in disputed, blocked_before=(c.call.attempt_id or "") in held)
                for c in calls]

    async def user_id(self, username: str) -> int | None:
        return await self.session.scalar(select(User.id).where(User.username == username))
