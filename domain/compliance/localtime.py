"""Local wall time in the customer's zone, DST-correct, and the search for the next passing instant.

Rules that depend on the local wall clock (calling window, attempts per local day) pass on a finite
union of intervals closed on the left. The earliest passing instant after ``t`` is therefore ``t``
itself or an *entry point*: an instant where the wall clock reaches a boundary continuously (the
UTC instants of that wall time, under both folds) or jumps at a UTC-offset transition. Checking every
such candidate in time order and taking the first that passes gives the exact earliest instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SCAN_STEP = timedelta(hours=6)  # no zone changes its offset twice within 6 hours
_EPSILON = timedelta(microseconds=1)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_wall(at: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of the aware instant ``at``."""
    return at.astimezone(tz).replace(tzinfo=None)


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def wall_instants(wall: datetime, tz: ZoneInfo) -> set[datetime]:
    """UTC instants of the naive wall time under both folds (two in a repeated hour)."""
    return {wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}


def _offset(at: datetime, tz: ZoneInfo) -> timedelta | None:
    return at.astimezone(tz).utcoffset()


def transitions(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants in ``(start, end]`` where the zone's UTC offset changes, exact to the microsecond."""
    found: list[datetime] = []
    low = start
    while low < end:
        high = min(low + _SCAN_STEP, end)
        if _offset(low, tz) != _offset(high, tz):
            before, after = low, high  # offset(before) is the old one, offset(after) is not
            old = _offset(low, tz)
            while after - before > _EPSILON:
                middle = before + (after - before) / 2
                if _offset(middle, tz) == old:
                    before = middle
                else:
                    after = middle
            found.append(after)
        low = high
    return found


def earliest_passing(
    start: datetime,
    passes: Callable[[datetime], bool],
    boundaries: Iterable[datetime],
    tz: ZoneInfo,
    horizon: timedelta,
) -> datetime | None:
    """The earliest instant ``>= start`` (within ``horizon``) where ``passes`` holds, or None.

    ``boundaries`` are the naive local wall times where the predicate can switch from failing to
    passing while the clock runs on (window openings, midnights). Offset transitions are added here.
    """
    if passes(start):
        return start
    candidates = {instant for wall in boundaries for instant in wall_instants(wall, tz) if instant > start}
    candidates.update(transitions(start, start + horizon, tz))
    for instant in sorted(candidates):
        if passes(instant):
            return instant
    return None
