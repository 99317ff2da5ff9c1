"""Read-only queries behind the supervisor wallboard (per queue, today, in the centre's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CallRecord, PromiseToPay


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
                      queue: str | None = None) -> list[QueueStats]:
    since = start_of_day(now, tz)
    query = select(CallRecord).where(CallRecord.queue.is_not(None), CallRecord.offered_at >= since)
    if queue is not None:
        query = query.where(CallRecord.queue == queue)
    rows = (await session.execute(query)).scalars().all()
    by_queue: dict[str, list[CallRecord]] = {}
    for row in rows:
        assert row.queue is not None
        by_queue.setdefault(row.queue, []).append(row)
    if queue is not None:
        by_queue.setdefault(queue, [])
    out = []
    for name, calls in sorted(by_queue.items()):
        waiting = [c for c in calls if c.answered_at is None and c.ended_at is None and not c.abandoned]
        answered = [c for c in calls if c.answered_at is not None]
        abandoned = [c for c in calls if c.abandoned]
        in_sl = [c for c in answered if (c.hold_seconds or 0) <= sl_seconds]
        offered = len(answered) + len(abandoned)
        longest = max((now - (c.queued_at or c.offered_at) for c in waiting), default=timedelta(0))
        out.append(QueueStats(
            queue=name, waiting=len(waiting), longest_wait_seconds=max(0, int(longest.total_seconds())),
            answered=len(answered), abandoned=len(abandoned),
            abandon_rate=len(abandoned) / offered if offered else 0.0,
            service_level=len(in_sl) / offered if offered else 1.0,
        ))
    return out


async def promises_today(session: AsyncSession, *, now: datetime, tz: str) -> dict[str, object]:
    since = start_of_day(now, tz)
    count, total = (await session.execute(
        select(func.count(PromiseToPay.id), func.coalesce(func.sum(PromiseToPay.amount), 0))
        .where(PromiseToPay.created_at >= since)
    )).one()
    return {"count": int(count), "amount": str(Decimal(total).quantize(Decimal("0.01")))}
