"""The supervisor wallboard's IVR panel: callers in the menu now, today's self-service rate, the
nodes where callers hang up most, and today's promises taken by the IVR (in the centre's day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import IvrSession, PromiseToPay
from store.repositories.wallboard_queries import start_of_day

SELF_SERVICE = ("self_served", "promise", "callback")
STALE = timedelta(hours=2)  # a session without an end this old is a lost connection, not a caller
TOP_NODES = 5


async def ivr_panel(session: AsyncSession, *, now: datetime, tz: str) -> dict[str, Any]:
    since = start_of_day(now, tz)
    s = IvrSession
    in_menu = await session.scalar(select(func.count(s.id)).where(s.outcome.is_(None), s.started_at >= now - STALE))
    total, served = (await session.execute(
        select(func.count(s.id), func.coalesce(func.sum(case((s.outcome.in_(SELF_SERVICE), 1), else_=0)), 0))
        .where(s.started_at >= since, s.outcome.is_not(None)))).one()
    nodes = (await session.execute(
        select(s.end_node, func.count(s.id).label("n"))
        .where(and_(s.started_at >= since, s.outcome == "hung_up", s.abandoned.is_(True)))
        .group_by(s.end_node).order_by(func.count(s.id).desc(), s.end_node).limit(TOP_NODES))).all()
    count, amount = (await session.execute(
        select(func.count(PromiseToPay.id), func.coalesce(func.sum(PromiseToPay.amount), 0))
        .where(PromiseToPay.created_at >= since, PromiseToPay.source == "ivr"))).one()
    return {
        "at": now.isoformat(),
        "in_ivr": int(in_menu or 0),
        "sessions_today": int(total),
        "self_served_today": int(served),
        "self_service_rate": round(int(served) / int(total), 4) if total else 0.0,
        "hangup_nodes": [{"node": node, "count": int(n)} for node, n in nodes],
        "promises_today": {"count": int(count), "amount": str(Decimal(amount).quantize(Decimal("0.01")))},
    }
