"""Call-scoped access grants: the CTI screen-pop opens the matched records to the ringing agent.

``grant_call_access`` is called by the CTI code when a call is offered to an agent; the grant lasts
for the call and its wrap-up (``until``). ``extend_call_access`` moves ``until`` when the call ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CallAccessGrant, utcnow


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


async def purge_expired(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(CallAccessGrant).where(CallAccessGrant.until < before))
    return int(getattr(result, "rowcount", 0) or 0)
