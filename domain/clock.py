"""Dates as the call centre sees them: days start at midnight in ``settings.timezone``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.events.base import utcnow


def local_today(timezone: str) -> date:
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def day_start(day: date, timezone: str) -> datetime:
    """Midnight at the start of ``day`` in ``timezone``, as UTC."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_range(since: date | None, until: date | None,
              timezone: str) -> tuple[datetime | None, datetime | None]:
    """``[since 00:00, (until + 1 day) 00:00)`` in local time, as UTC; either end may be open."""
    start = day_start(since, timezone) if since is not None else None
    end = day_start(until + timedelta(days=1), timezone) if until is not None and until < date.max else None
    return start, end
