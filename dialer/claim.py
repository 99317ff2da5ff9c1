"""Claim the next eligible call task for one agent, atomically, on PostgreSQL and on SQLite.

One statement does it: ``UPDATE call_tasks SET status=reserved ... WHERE id = (SELECT id ... LIMIT 1)
AND status = queued RETURNING id``.

- PostgreSQL: the inner SELECT takes the row with ``FOR UPDATE SKIP LOCKED``, so concurrent claimers
  never wait on each other's rows and never get the same row; the outer ``status = queued`` re-check
  makes a row that changed since the snapshot simply not match (0 rows: try again).
- SQLite: there is one writer at a time. An UPDATE that is the first statement of its transaction
  takes the write lock before it reads, so the SELECT and the UPDATE see the same, latest data; the
  ``status = queued`` re-check guards any other order. Run the claim in its own short transaction.

Order: priority first (higher first), then the index's own order (``ix_call_tasks_pick`` read
backwards, so PostgreSQL and SQLite need no sort even over a million rows); priorities are
continuous scores, so ties are rare. Callbacks owned by an agent are offered to that agent only
until ``owner_until``; then to anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agent_state import AgentState
from store.models import AgentPresence, CallTask, TaskStatus
from store.repositories.dialer import is_postgres


async def claim_next(session: AsyncSession, *, campaign_id: int, agent_id: int, now: datetime,
                     exclude_customers: tuple[int, ...] = ()) -> int | None:
    """Reserve the best eligible task of ``campaign_id`` for ``agent_id``; its id, or None."""
    pick = (
        select(CallTask.id)
        .where(
            CallTask.campaign_id == campaign_id,
            CallTask.status == TaskStatus.QUEUED,
            CallTask.next_eligible_at <= now,
            or_(CallTask.owner_id.is_(None), CallTask.owner_id == agent_id, CallTask.owner_until <= now),
        )
        .order_by(CallTask.priority.desc(), CallTask.next_eligible_at.desc())
        .limit(1)
    )
    if exclude_customers:
        pick = pick.where(CallTask.customer_id.not_in(exclude_customers))
    if is_postgres(session):
        pick = pick.with_for_update(skip_locked=True)
        # A reservation need not survive a database crash (the task is simply queued again, and a
        # dial re-checks the reservation), so its commit does not wait for the WAL flush.
        await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    stmt = (
        update(CallTask)
        .where(CallTask.id == pick.scalar_subquery(), CallTask.status == TaskStatus.QUEUED)
        .values(status=TaskStatus.RESERVED, reserved_by_id=agent_id, reserved_at=now, updated_at=now)
        .returning(CallTask.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def release(session: AsyncSession, task_id: int, agent_id: int, now: datetime) -> bool:
    """Give a reserved task back to the queue (the agent paused, or the preview was refused)."""
    result = await session.execute(
        update(CallTask)
        .where(CallTask.id == task_id, CallTask.status == TaskStatus.RESERVED,
               CallTask.reserved_by_id == agent_id)
        .values(status=TaskStatus.QUEUED, reserved_by_id=None, reserved_at=None, updated_at=now)
        .returning(CallTask.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def start_dialing(session: AsyncSession, task_id: int, agent_id: int, now: datetime) -> bool:
    """Reserved -> dialing, once: the preview timer and the agent's click cannot both dial."""
    result = await session.execute(
        update(CallTask)
        .where(CallTask.id == task_id, CallTask.status == TaskStatus.RESERVED,
               CallTask.reserved_by_id == agent_id)
        .values(status=TaskStatus.DIALING, attempts=CallTask.attempts + 1, updated_at=now)
        .returning(CallTask.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def claim_for_agent(session: AsyncSession, *, campaign_id: int, agent_id: int, now: datetime,
                          exclude_customers: tuple[int, ...] = ()) -> int | None:
    """Like :func:`claim_next`, but only for a ready agent who holds no task yet, checked under a
    lock on the agent's presence row (PostgreSQL) or the write lock (SQLite), so two dialer workers
    never reserve two tasks for one agent. Run it as its transaction's first statement."""
    query = select(AgentPresence.state).where(AgentPresence.user_id == agent_id)
    if is_postgres(session):
        query = query.with_for_update()
    else:
        await session.execute(text("UPDATE call_tasks SET id = id WHERE 1 = 0"))  # the write lock
    if await session.scalar(query) != AgentState.READY:
        return None
    busy = await session.scalar(
        select(CallTask.id).where(CallTask.reserved_by_id == agent_id,
                                  CallTask.status.in_((TaskStatus.RESERVED, TaskStatus.DIALING))).limit(1))
    if busy is not None:
        return None
    return await claim_next(session, campaign_id=campaign_id, agent_id=agent_id, now=now,
                            exclude_customers=exclude_customers)
