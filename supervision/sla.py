"""SLA compliance per queue and per local day (or hour), from the call log.

For each queue and period, over the inbound calls offered to the queue:

- ``offered``: every call; ``answered``; ``answered_within``: answered with a wait at most the
  queue's threshold (its campaign's ``service_level_seconds``, else the settings' default);
- ``short_abandoned``: hung up within ``SHORT_ABANDON_SECONDS`` of waiting (counted apart: a
  misdial is not a service failure); ``abandoned``: the other abandons;
- ``service_level`` = answered_within / (offered - short_abandoned), ``None`` when nothing counts;
- ``average_speed_of_answer``: the mean wait of answered calls; ``longest_wait`` over all calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from store.repositories.report_sources import QueueCall

SHORT_ABANDON_SECONDS = 5
By = Literal["day", "hour"]


@dataclass(slots=True)
class SlaRow:
    queue: str
    period: str  # "2026-11-30" or "2026-11-30T14:00" (local)
    threshold: int
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    longest_wait: int | None = None
    _answered_wait: int = 0

    def add(self, call: QueueCall) -> None:
        self.offered += 1
        wait = call.wait
        if wait is not None:
            self.longest_wait = wait if self.longest_wait is None else max(self.longest_wait, wait)
        if call.answered:
            self.answered += 1
            self._answered_wait += wait or 0
            if wait is not None and wait <= self.threshold:
                self.answered_within += 1
        elif call.abandoned:
            if wait is not None and wait <= SHORT_ABANDON_SECONDS:
                self.short_abandoned += 1
            else:
                self.abandoned += 1

    @property
    def service_level(self) -> float | None:
        counted = self.offered - self.short_abandoned
        return None if counted <= 0 else round(self.answered_within / counted, 4)

    @property
    def average_speed_of_answer(self) -> float | None:
        return None if self.answered == 0 else round(self._answered_wait / self.answered, 1)

    def as_json(self) -> dict[str, object]:
        return {"queue": self.queue, "period": self.period, "threshold_seconds": self.threshold,
                "offered": self.offered, "answered": self.answered, "answered_within": self.answered_within,
                "abandoned": self.abandoned, "short_abandoned": self.short_abandoned,
                "service_level": self.service_level, "average_speed_of_answer": self.average_speed_of_answer,
                "longest_wait": self.longest_wait}


def period_of(at: datetime, zone: ZoneInfo, by: By) -> str:
    local = at.astimezone(zone)
    return local.date().isoformat() if by == "day" else local.strftime("%Y-%m-%dT%H:00")


def sla_rows(calls: Iterable[QueueCall], *, timezone: str, by: By, thresholds: Mapping[str, int],
             default_threshold: int) -> tuple[list[SlaRow], list[SlaRow]]:
    """(rows per queue and period, one total row per queue for the whole range), sorted."""
    zone = ZoneInfo(timezone)
    rows: dict[tuple[str, str], SlaRow] = {}
    totals: dict[str, SlaRow] = {}
    for call in calls:
        threshold = thresholds.get(call.queue, default_threshold)
        key = (call.queue, period_of(call.offered_at, zone, by))
        row = rows.get(key)
        if row is None:
            row = rows[key] = SlaRow(call.queue, key[1], threshold)
        row.add(call)
        total = totals.get(call.queue)
        if total is None:
            total = totals[call.queue] = SlaRow(call.queue, "total", threshold)
        total.add(call)
    return ([rows[k] for k in sorted(rows)], [totals[q] for q in sorted(totals)])
