"""Agent activity per agent and local day, from the agent state log, the call log and the promises.

Each state log entry lasts until the agent's next one (or the end of the range, or now); the time is
split at local midnights. Per agent and day:

- ``logged_in``: every state but logged out; ``ready``; ``paused`` (and ``paused_by_code``);
  ``ringing``; ``talk`` (on a call); ``wrap_up``; all in seconds;
- ``calls``: calls the agent answered (by the day they were offered); ``promises`` taken that day
  and their ``kept_rate`` = kept / (kept + broken), ``None`` while none is settled;
- ``occupancy`` = (ringing + talk + wrap-up) / (ringing + talk + wrap-up + ready): the share of the
  available time spent on calls, ``None`` when the agent was never available.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.models import PromiseStatus
from store.repositories.agent_activity import Entry

STATE_FIELDS = {"ready": "ready", "paused": "paused", "ringing": "ringing", "on_call": "talk", "wrap_up": "wrap_up"}


@dataclass(slots=True)
class ActivityRow:
    agent: str
    day: date
    seconds: dict[str, float] = field(default_factory=dict)  # logged_in, ready, paused, ringing, talk, wrap_up
    paused_by_code: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    promises: int = 0
    kept: int = 0
    broken: int = 0

    def spend(self, state: str, reason: str | None, seconds: float) -> None:
        if state == "logged_out" or seconds <= 0:
            return
        self.seconds["logged_in"] = self.seconds.get("logged_in", 0.0) + seconds
        name = STATE_FIELDS.get(state)
        if name is not None:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        if state == "paused":
            code = reason or "(none)"
            self.paused_by_code[code] = self.paused_by_code.get(code, 0.0) + seconds

    def get(self, name: str) -> int:
        return round(self.seconds.get(name, 0.0))

    @property
    def kept_rate(self) -> float | None:
        settled = self.kept + self.broken
        return None if settled == 0 else round(self.kept / settled, 4)

    @property
    def occupancy(self) -> float | None:
        busy = sum(self.seconds.get(k, 0.0) for k in ("ringing", "talk", "wrap_up"))
        available = busy + self.seconds.get("ready", 0.0)
        return None if available <= 0 else round(busy / available, 4)

    def as_json(self) -> dict[str, object]:
        return {"agent": self.agent, "day": self.day.isoformat(), "logged_in_seconds": self.get("logged_in"),
                "ready_seconds": self.get("ready"), "paused_seconds": self.get("paused"),
                "paused_by_code": {k: round(v) for k, v in sorted(self.paused_by_code.items())},
                "ringing_seconds": self.get("ringing"), "talk_seconds": self.get("talk"),
                "wrap_up_seconds": self.get("wrap_up"), "calls": self.calls, "promises": self.promises,
                "kept_rate": self.kept_rate, "occupancy": self.occupancy}


def _midnights(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[date, datetime, datetime]]:
    """``[start, end)`` cut at local midnights: (local day, piece start, piece end)."""
    at = start
    while at < end:
        day = at.astimezone(zone).date()
        next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        piece_end = min(end, next_midnight)
        yield day, at, piece_end
        at = piece_end


def activity_rows(entries: Iterable[Entry], calls: Iterable[tuple[int, datetime]],
                  promises: Iterable[tuple[int, datetime, PromiseStatus]], names: Mapping[int, str], *,
                  since: datetime, until: datetime, timezone: str) -> list[ActivityRow]:
    """Rows for every (agent, day) with any time, call or promise; sorted by agent then day."""
    zone = ZoneInfo(timezone)
    rows: dict[tuple[int, date], ActivityRow] = {}

    def row(user_id: int, day: date) -> ActivityRow:
        found = rows.get((user_id, day))
        if found is None:
            found = rows[(user_id, day)] = ActivityRow(names.get(user_id, str(user_id)), day)
        return found

    ordered = sorted(entries, key=lambda e: (e.user_id, e.at))
    for index, entry in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        end = following.at if following is not None and following.user_id == entry.user_id else until
        start, end = max(entry.at, since), min(end, until)
        for day, piece_start, piece_end in _midnights(start, end, zone):
            row(entry.user_id, day).spend(entry.state, entry.reason, (piece_end - piece_start).total_seconds())
    for user_id, at in calls:
        row(user_id, at.astimezone(zone).date()).calls += 1
    for user_id, at, status in promises:
        target = row(user_id, at.astimezone(zone).date())
        target.promises += 1
        target.kept += status == PromiseStatus.KEPT
        target.broken += status == PromiseStatus.BROKEN
    return sorted(rows.values(), key=lambda r: (r.agent, r.day))
