"""Scoped access grants: the CTI screen-pop opens the matched records to the ringing agent, and
an open follow-up task opens its customer to the task's assignee.

The pop grants its matches to the ringing agent (``store.repositories.caller_lookup``, in its own statement);
``grant_call_access`` does the same for a caller the agent picked (``POST /api/caller-search/grant``)
and for the customer the IVR identified. A grant lasts until ``until``; the live layer deletes
expired ones (:func:`purge_expired`). ``extend_call_access`` moves ``until`` when the call ends.
A task grant needs no row of its own: it lasts exactly as long as the task is open (not done).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agent_state import WITH_A_CALL
from store.models import AgentPresence, CallAccessGrant, CallRecord, FollowUpTask, utcnow


async def grant_call_access(session: AsyncSession, agent_id: int, customer_ids: Sequence[int],
                            call_id: str, until: datetime) -> None:
    """Let ``agent_id`` open ``customer_ids`` until ``until`` for ``call_id`` (re-granting extends)."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return
    existing = await session.scalars(select(CallAccessGrant).where(
        CallAccessGrant.agent_id == agent_id, CallAccessGrant.call_id == call_id,
        CallAccessGrant.customer_id.in_(wanted)))
    seen: set[int] = set()
    for grant in existing:
        grant.until = max(grant.until, until)
        seen.add(grant.customer_id)
    session.add_all(CallAccessGrant(agent_id=agent_id, customer_id=cid, call_id=call_id, until=until)
                    for cid in wanted if cid not in seen)
    await session.flush()


async def extend_call_access(session: AsyncSession, call_id: str, until: datetime) -> None:
    """Move every grant of ``call_id`` to end at ``until`` (e.g. call end + wrap-up time)."""
    await session.execute(update(CallAccessGrant).where(CallAccessGrant.call_id == call_id)
                          .values(until=until))


async def active_grant(session: AsyncSession, agent_id: int, customer_id: int,
                       now: datetime | None = None) -> str | None:
    """The call id of a live grant of ``customer_id`` to ``agent_id``, or None."""
    call_id: str | None = await session.scalar(
        select(CallAccessGrant.call_id).where(
            CallAccessGrant.agent_id == agent_id, CallAccessGrant.customer_id == customer_id,
            CallAccessGrant.until >= (now or utcnow()))
        .order_by(CallAccessGrant.until.desc()).limit(1))
    return call_id


async def open_task_grant(session: AsyncSession, agent_id: int, customer_id: int) -> int | None:
    """The id of an open follow-up task of ``customer_id`` assigned to ``agent_id`` (the soonest due), or None."""
    task_id: int | None = await session.scalar(
        select(FollowUpTask.id).where(
            FollowUpTask.assignee_id == agent_id, FollowUpTask.customer_id == customer_id,
            FollowUpTask.done.is_(False))
        .order_by(FollowUpTask.due_at, FollowUpTask.id).limit(1))
    return task_id


LIVE_STATES = WITH_A_CALL


async def live_inbound_call(session: AsyncSession, agent_id: int, call_id: str, *, wrapup: timedelta,
                            now: datetime | None = None) -> bool:
    """Whether ``call_id`` is an inbound call live for ``agent_id``: the agent is ringing, talking or
    wrapping up on it, or the call was offered to them and has not ended (or ended within ``wrapup``:
    the incoming panel is still open for it). Outbound calls never count."""
    record = await session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
    if record is None or record.direction != "inbound":
        return False
    presence = await session.get(AgentPresence, agent_id)
    if presence is not None and presence.call_id == call_id and presence.state in LIVE_STATES:
        return True
    return record.agent_id == agent_id and (
        record.ended_at is None or record.ended_at >= (now or utcnow()) - wrapup)


async def purge_expired(session: AsyncSession, before: datetime) -> int:
    """Delete the call grants that ended before ``before`` (a grant is live while ``until >= now``);
    run every minute by the live layer (``agent_ui.components.live``). Returns how many went."""
    result = await session.execute(delete(CallAccessGrant).where(CallAccessGrant.until < before))
    return int(getattr(result, "rowcount", 0) or 0)
