"""The rows the SLA and agent activity reports are computed from (``supervision.sla``,
``supervision.activity``): queue calls, answered calls per agent, promises per agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CallRecord, PromiseStatus, PromiseToPay, Role, User
from store.repositories.call_log_queries import wait_of

MAX_ROWS = 500_000  # a report reads at most this many calls (about 2 months of a busy centre)


@dataclass(frozen=True, slots=True)
class QueueCall:
    queue: str
    offered_at: datetime
    answered: bool
    abandoned: bool
    wait: int | None


async def queue_calls(session: AsyncSession, since: datetime, until: datetime,
                      queue: str | None = None) -> list[QueueCall]:
    """Inbound calls offered to a queue in ``[since, until)``."""
    c = CallRecord
    query = (select(c.queue, c.offered_at, c.queued_at, c.answered_at, c.ended_at, c.hold_seconds, c.abandoned)
             .where(c.offered_at >= since, c.offered_at < until, c.queue.is_not(None), c.direction == "inbound"))
    if queue is not None:
        query = query.where(c.queue == queue)
    calls: list[QueueCall] = []
    for name, offered, queued, answered, ended, hold, abandoned in (await session.execute(
            query.order_by(c.offered_at).limit(MAX_ROWS))).tuples():
        assert name is not None
        calls.append(QueueCall(name, offered, answered is not None, bool(abandoned) and answered is None,
                               wait_of(hold, offered, queued, answered, ended)))
    return calls


async def answered_calls(session: AsyncSession, since: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(agent id, offered at) of the calls each agent answered in ``[since, until)``."""
    c = CallRecord
    rows = await session.execute(
        select(c.agent_id, c.offered_at).where(c.offered_at >= since, c.offered_at < until,
                                               c.agent_id.is_not(None), c.answered_at.is_not(None)).limit(MAX_ROWS))
    return [(agent, at) for agent, at in rows.tuples() if agent is not None]


async def promises_made(session: AsyncSession, since: datetime,
                        until: datetime) -> list[tuple[int, datetime, PromiseStatus]]:
    """(creator id, created at, status) of the promises taken in ``[since, until)``."""
    p = PromiseToPay
    rows = await session.execute(
        select(p.created_by_id, p.created_at, p.status)
        .where(p.created_at >= since, p.created_at < until, p.created_by_id.is_not(None)).limit(MAX_ROWS))
    return [(who, at, status) for who, at, status in rows.tuples() if who is not None]


async def agent_names(session: AsyncSession) -> dict[int, str]:
    """Every user who can take calls (agents and supervisors), id -> username."""
    rows = await session.execute(select(User.id, User.username).where(User.role != Role.ADMIN))
    return dict(rows.tuples().all())
