"""Rules on the customer's local wall clock: the calling window and attempts per local day."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from domain.compliance.context import DialContext
from domain.compliance.decision import CALLING_WINDOW, MAX_ATTEMPTS_PER_DAY, Blocked
from domain.compliance.localtime import earliest_passing, local_date, local_wall, zone
from domain.compliance.pack import WEEKDAYS, Pack
from domain.compliance.scope import counted_attempts, limits_apply

_WINDOW_HORIZON_DAYS = 16  # any weekly schedule with an open window opens again within this


@dataclass(frozen=True)
class CallingWindow:
    pack: Pack
    code: str = CALLING_WINDOW

    def passes_at(self, instant: datetime, tz_name: str) -> bool:
        wall = local_wall(instant, zone(tz_name))
        return any(window.contains(wall) for window in self.pack.week[wall.weekday()])

    def __call__(self, ctx: DialContext) -> Blocked | None:
        if self.passes_at(ctx.now, ctx.timezone):
            return None
        tz = zone(ctx.timezone)
        today = local_date(ctx.now, tz)
        openings = [
            datetime.combine(today + timedelta(days=offset), time()) + timedelta(minutes=window.start)
            for offset in range(-1, _WINDOW_HORIZON_DAYS)
            for window in self.pack.week[(today + timedelta(days=offset)).weekday()]
        ]
        horizon = timedelta(days=_WINDOW_HORIZON_DAYS + 1)
        nxt = earliest_passing(ctx.now, lambda at: self.passes_at(at, ctx.timezone), openings, tz, horizon)
        wall = local_wall(ctx.now, tz)
        windows = ", ".join(w.label() for w in self.pack.week[wall.weekday()]) or "closed"
        message = (f"outside the calling window: it is {wall:%H:%M} on {WEEKDAYS[wall.weekday()]} in "
                   f"{ctx.timezone} (window {windows})")
        return Blocked(self.code, message, nxt)


@dataclass(frozen=True)
class MaxAttemptsPerDay:
    pack: Pack
    code: str = MAX_ATTEMPTS_PER_DAY

    def __call__(self, ctx: DialContext) -> Blocked | None:
        limit = self.pack.limits.max_per_day
        if limit is None or not limits_apply(self.pack.limits, ctx):
            return None
        tz = zone(ctx.timezone)
        counted = counted_attempts(self.pack.limits, ctx, per_debt=False)
        per_day = Counter(local_date(a.at, tz) for a in counted)
        today = local_date(ctx.now, tz)
        if per_day[today] < limit:
            return None
        full_days = sum(1 for count in per_day.values() if count >= limit)
        midnights = [datetime.combine(today + timedelta(days=offset), time())
                     for offset in range(-1, full_days + 3)]
        nxt = earliest_passing(ctx.now, lambda at: per_day[local_date(at, tz)] < limit, midnights, tz,
                               timedelta(days=full_days + 3))
        message = (f"{per_day[today]} attempts already on {today.isoformat()} (local); "
                   f"the pack allows {limit} a day")
        return Blocked(self.code, message, nxt)
