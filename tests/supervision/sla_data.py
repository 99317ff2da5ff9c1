"""Three days of queue calls (23-25 November 2026, Nairobi) for the SLA report, and the figures a
person works out from them by hand (collections answers within 20 s, customer service within 30 s,
as config/defaults/dialer.yaml says; a short abandon is 5 s or less)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from store.db import Database
from store.models import CallRecord

# (call id, queue, offered at UTC, wait seconds, outcome); Nairobi is UTC+3
SLA_CALLS: list[tuple[str, str, str, int, str]] = [
    ("d1-a", "collections", "2026-11-23T06:00:00", 10, "answered"),
    ("d1-b", "collections", "2026-11-23T06:30:00", 20, "answered"),
    ("d1-c", "collections", "2026-11-23T07:10:00", 45, "answered"),
    ("d1-d", "collections", "2026-11-23T07:20:00", 3, "abandoned"),
    ("d1-e", "collections", "2026-11-23T07:40:00", 40, "abandoned"),
    ("d2-a", "collections", "2026-11-24T08:00:00", 5, "answered"),
    ("d2-b", "collections", "2026-11-24T09:00:00", 25, "answered"),
    ("d2-c", "collections", "2026-11-24T10:00:00", 30, "missed"),
    ("d2-d", "customer_service", "2026-11-24T08:00:00", 25, "answered"),
    ("d2-e", "customer_service", "2026-11-24T08:30:00", 35, "answered"),
    ("d2-f", "customer_service", "2026-11-24T09:00:00", 5, "abandoned"),
    ("d3-a", "collections", "2026-11-25T06:00:00", 0, "answered"),
    ("d3-b", "collections", "2026-11-25T07:00:00", 6, "abandoned"),
    ("d3-c", "collections", "2026-11-25T20:59:00", 8, "answered"),  # 23:59 in Nairobi: still the 25th
    ("d4-a", "collections", "2026-11-25T21:00:00", 1, "answered"),  # 00:00 on the 26th: out of range
]
OUTBOUND = ("out-1", "collections", "2026-11-24T08:00:00", 90, "answered")  # not a queue call: never counted

# By hand, per queue and local day: offered, answered, answered within, abandoned, short abandons,
# service level (within / (offered - short)), average speed of answer, longest wait.
EXPECTED_DAYS: list[dict[str, Any]] = [
    {"queue": "collections", "period": "2026-11-23", "offered": 5, "answered": 3, "answered_within": 2,
     "abandoned": 1, "short_abandoned": 1, "service_level": 0.5, "average_speed_of_answer": 25.0, "longest_wait": 45},
    {"queue": "collections", "period": "2026-11-24", "offered": 3, "answered": 2, "answered_within": 1,
     "abandoned": 0, "short_abandoned": 0, "service_level": 0.3333, "average_speed_of_answer": 15.0,
     "longest_wait": 30},
    {"queue": "collections", "period": "2026-11-25", "offered": 3, "answered": 2, "answered_within": 2,
     "abandoned": 1, "short_abandoned": 0, "service_level": 0.6667, "average_speed_of_answer": 4.0, "longest_wait": 8},
    {"queue": "customer_service", "period": "2026-11-24", "offered": 3, "answered": 2, "answered_within": 1,
     "abandoned": 0, "short_abandoned": 1, "service_level": 0.5, "average_speed_of_answer": 30.0, "longest_wait": 35},
]
EXPECTED_TOTALS: list[dict[str, Any]] = [
    {"queue": "collections", "period": "total", "offered": 11, "answered": 7, "answered_within": 5, "abandoned": 2,
     "short_abandoned": 1, "service_level": 0.5, "average_speed_of_answer": 16.1, "longest_wait": 45},
    {"queue": "customer_service", "period": "total", "offered": 3, "answered": 2, "answered_within": 1,
     "abandoned": 0, "short_abandoned": 1, "service_level": 0.5, "average_speed_of_answer": 30.0, "longest_wait": 35},
]
THRESHOLDS = {"collections": 20, "customer_service": 30}


def _record(call_id: str, queue: str, offered: str, wait: int, outcome: str, direction: str) -> CallRecord:
    start = datetime.fromisoformat(offered).replace(tzinfo=UTC)
    later = start + timedelta(seconds=wait)
    row = CallRecord(call_id=f"sla/{call_id}", direction=direction, queue=queue, offered_at=start, queued_at=start)
    if outcome == "answered":
        row.hold_seconds, row.answered_at, row.ended_at, row.talk_seconds = wait, later, later + timedelta(minutes=2), 120
    elif outcome == "abandoned":
        row.hold_seconds, row.abandoned, row.ended_at, row.cause = wait, True, later, "abandoned"
    else:
        row.ended_at, row.cause = later, "no_answer"
    return row


async def seed_sla(database: Database) -> None:
    async with database.session() as session:
        session.add_all([_record(*call, "inbound") for call in SLA_CALLS])
        session.add(_record(*OUTBOUND, "outbound"))
