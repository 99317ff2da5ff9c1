"""Read-only queries behind the supervisor wallboard (per queue, today, in the centre's time zone)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CallRecord, PromiseStatus, PromiseToPay


def start_of_day(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    waiting: int
    longest_wait_seconds: int
    answered: int
    abandoned: int
    abandon_rate: float
    service_level: float  # share of offered calls answered within the threshold

    def to_json(self) -> dict[str, object]:
        return {
            "queue": self.queue, "waiting": self.waiting, "longest_wait_seconds": self.longest_wait_seconds,
            "answered": self.answered, "abandoned": self.abandoned,
            "abandon_rate": round(self.abandon_rate, 4), "service_level": round(self.service_level, 4),
        }


async def queue_stats(session: AsyncSession, *, now: datetime, tz: str, sl_seconds: int,
                      queue: str | None = None, queues: Collection[str] | None = None) -> list[QueueStats]:
    """Today's figures per queue (all queues, or ``queue`` / ``queues`` only), in one aggregate query."""
    wanted = set(queues or ()) | ({queue} if queue is not None else set())
    c = CallRecord
    waiting = and_(c.answered_at.is_(None), c.ended_at.is_(None), not_(c.abandoned))
    answered = c.answered_at.is_not(None)
    query = (
        select(
            c.queue,
            _count(waiting),
            func.min(case((waiting, func.coalesce(c.queued_at, c.offered_at)), else_=None)),
            _count(answered),
            _count(c.abandoned.is_(True)),
            _count(and_(answered, func.coalesce(c.hold_seconds, 0) <= sl_seconds)),
        )
        .where(c.queue.is_not(None), c.offered_at >= start_of_day(now, tz))
        .group_by(c.queue)
    )
    if wanted:
        query = query.where(c.queue.in_(sorted(wanted)))
    rows = {name: rest for name, *rest in (await session.execute(query)).all()}
    out = []
    for name in sorted(set(rows) | wanted):
        n_waiting, oldest, n_answered, n_abandoned, in_sl = rows.get(name, (0, None, 0, 0, 0))
        offered = int(n_answered) + int(n_abandoned)
        longest = now - _utc(oldest) if oldest is not None else timedelta(0)
        out.append(QueueStats(
            queue=name, waiting=int(n_waiting), longest_wait_seconds=max(0, int(longest.total_seconds())),
            answered=int(n_answered), abandoned=int(n_abandoned),
            abandon_rate=int(n_abandoned) / offered if offered else 0.0,
            service_level=int(in_sl) / offered if offered else 1.0,
        ))
    return out


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _utc(value: datetime | str) -> datetime:
    """MIN() over a datetime: a datetime on PostgreSQL, the stored text on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def promises_today(session: AsyncSession, *, now: datetime, tz: str) -> dict[str, object]:
    """Seed 002's follow-up view: ``count``/``amount`` are the promises DUE today (the centre's local
    day; cancelled ones aside), ``made``/``made_amount`` the promises taken today, ``kept``/
    ``kept_amount`` those a payment kept today."""
    since = start_of_day(now, tz)
    today = now.astimezone(ZoneInfo(tz)).date()
    count, total = (await session.execute(
        select(func.count(PromiseToPay.id), func.coalesce(func.sum(PromiseToPay.amount), 0))
        .where(PromiseToPay.due_date == today, PromiseToPay.status != PromiseStatus.CANCELLED)
    )).one()
    made, made_total = (await session.execute(
        select(func.count(PromiseToPay.id), func.coalesce(func.sum(PromiseToPay.amount), 0))
        .where(PromiseToPay.created_at >= since)
    )).one()
    kept, kept_amount = (await session.execute(  # promises a payment kept today (M-Pesa, core system)
        select(func.count(PromiseToPay.id), func.coalesce(func.sum(PromiseToPay.paid_amount), 0))
        .where(PromiseToPay.status == PromiseStatus.KEPT, PromiseToPay.settled_at >= since)
    )).one()
    return {"day": today.isoformat(), "count": int(count), "amount": _money(total),
            "made": int(made), "made_amount": _money(made_total),
            "kept": int(kept), "kept_amount": _money(kept_amount)}


def _money(value: object) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))
