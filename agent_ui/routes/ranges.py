"""Date ranges of the supervisor screens: local days ``from``..``to`` (both included) as UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from agent_ui.services import Services
from domain.clock import day_range, local_today
from domain.errors import InvalidInput


def local_window(services: Services, since: date | None, until: date | None, *, default_days: int = 30,
                 max_days: int | None = None) -> tuple[date, date, datetime, datetime]:
    """``(from, to, start, end)``: to defaults to today, from to ``default_days`` before it."""
    tz = services.settings.timezone
    until = until or local_today(tz)
    since = since or until - timedelta(days=default_days)
    if since > until:
        raise InvalidInput("The start date is after the end date.", {"from": "must not be after the end date"})
    if max_days is not None and (until - since).days + 1 > max_days:
        raise InvalidInput(f"a range of at most {max_days} days", {"to": f"at most {max_days} days after from"})
    start, end = day_range(since, until, tz)
    assert start is not None
    return since, until, start, end if end is not None else start + timedelta(days=1)
