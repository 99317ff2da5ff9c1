"""Recordings and what the call log shows of them (who may see which is decided by the caller)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.in_list import in_list
from store.models import CallRecord, Customer, Recording, RecordingStatus, User, utcnow


@dataclass(frozen=True, slots=True)
class RecordingRow:
    recording: Recording
    call: CallRecord | None
    agent: str | None
    customer_name: str | None


def _listing() -> Select[Recording, CallRecord, str, str]:
    return (select(Recording, CallRecord, User.username, Customer.name)
            .outerjoin(CallRecord, CallRecord.call_id == Recording.call_id)
            .outerjoin(User, User.id == Recording.agent_id)
            .outerjoin(Customer, Customer.id == CallRecord.customer_id))


# Built once: the call log asks for the recordings of each page's calls.
_FOR_CALLS = (_listing().where(Recording.status != RecordingStatus.DELETED, in_list(Recording.call_id, "call_ids"))
              .order_by(Recording.started_at.desc(), Recording.id.desc()).limit(bindparam("limit", type_=Integer)))


class RecordingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, recording_id: int) -> Recording | None:
        return await self.session.get(Recording, recording_id)

    async def by_ref(self, external_ref: str) -> Recording | None:
        return (await self.session.execute(
            select(Recording).where(Recording.external_ref == external_ref))).scalar_one_or_none()

    async def by_request(self, request_id: str) -> Recording | None:
        return (await self.session.execute(
            select(Recording).where(Recording.request_id == request_id))).scalar_one_or_none()

    async def of_call(self, call_id: str) -> list[Recording]:
        return list((await self.session.scalars(
            select(Recording).where(Recording.call_id == call_id).order_by(Recording.id))).all())

    async def agent_of_device(self, device: str) -> int | None:
        return await self.session.scalar(select(User.id).where(User.extension == device).limit(1))

    async def call(self, call_id: str) -> CallRecord | None:
        return (await self.session.execute(
            select(CallRecord).where(CallRecord.call_id == call_id))).scalar_one_or_none()

    async def listing(self, *, agent_id: int | None, customer_id: int | None = None, call_ids: Sequence[str] = (),
                      limit: int = 50) -> list[RecordingRow]:
        """Recordings newest first; ``agent_id`` limits them to that agent's own calls."""
        query = _listing().where(Recording.status != RecordingStatus.DELETED)
        if agent_id is not None:
            query = query.where(or_(Recording.agent_id == agent_id, CallRecord.agent_id == agent_id))
        if customer_id is not None:
            query = query.where(CallRecord.customer_id == customer_id)
        if call_ids:
            query = query.where(Recording.call_id.in_(list(call_ids)))
        rows = await self.session.execute(query.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(limit))
        return [RecordingRow(rec, call, agent, name) for rec, call, agent, name in rows]

    async def for_calls(self, call_ids: Sequence[str], limit: int) -> list[RecordingRow]:
        """The calls' recordings (not deleted ones), newest first: the call log's page."""
        rows = await self.session.execute(_FOR_CALLS, {"call_ids": list(call_ids), "limit": limit})
        return [RecordingRow(rec, call, agent, name) for rec, call, agent, name in rows]

    async def one(self, recording_id: int) -> RecordingRow | None:
        row = (await self.session.execute(_listing().where(Recording.id == recording_id))).first()
        return None if row is None else RecordingRow(row[0], row[1], row[2], row[3])

    async def expired(self, before: datetime, limit: int = 500) -> list[Recording]:
        return list((await self.session.scalars(
            select(Recording).where(Recording.started_at < before,
                                    Recording.status.in_([RecordingStatus.STORED, RecordingStatus.FAILED]))
            .order_by(Recording.started_at).limit(limit))).all())


def mark_stored(recording: Recording, *, key: str, size: int, sha256: str, duration_ms: int | None) -> None:
    recording.status, recording.storage_key = RecordingStatus.STORED, key
    recording.size_bytes, recording.sha256, recording.duration_ms = size, sha256, duration_ms
    recording.stored_at, recording.failure = utcnow(), None
