"""Seed 004 reports: notes by type, by operator and by customer over a date range; JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from agent_ui import serialize
from agent_ui.clock import day_range, local_today
from agent_ui.deps import ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.serialize import Names, iso
from domain.errors import InvalidInput
from store.repositories.reports import NoteRow, ReportBy, notes_report

router = APIRouter(tags=["reports"], dependencies=[Depends(current_user)])
_CSV_COLUMNS = ("group", "id", "created_at", "customer_id", "customer_name", "operator", "channel",
                "purpose", "activity_type", "subject", "call_outcome", "customer_mood", "disposition_status",
                "disposition_reason", "disposition_resolution", "complete", "detail", "comments")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_row(key: str, row: NoteRow) -> list[Any]:
    n = row.note
    return [_cell(v) for v in _csv_values(key, row, n)]


def _csv_values(key: str, row: NoteRow, n: Any) -> list[Any]:
    return [key, n.id, iso(n.created_at), n.customer_id, row.customer_name, row.operator, n.channel,
            n.purpose,
            n.activity_type, n.subject, n.call_outcome, n.customer_mood, n.disposition_status,
            n.disposition_reason, n.disposition_resolution, n.complete, n.detail, n.comments]


@router.get("/api/reports/notes", response_model=None)
async def notes(
    _user: SupervisorUser, services: ServicesDep,
    by: ReportBy = "type",
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    key: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """``by`` type (purpose / activity type), operator or customer; ``from``/``to`` are local dates
    (default: the last 30 days); ``key`` keeps one group."""
    tz = services.settings.timezone
    until = until or local_today(tz)
    since = since or until - timedelta(days=30)
    if since > until:
        raise InvalidInput("from is after to", {"from": "must not be after to"})
    start, end = day_range(since, until, tz)
    assert start is not None
    async with unit_of_work(services) as session:
        rows = await notes_report(session, by, start, end if end is not None else start + timedelta(days=1),
                                  key)
        names = await Names.load(session, [r.note.operator_id for r in rows])
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_CSV_COLUMNS)
        writer.writerows(_csv_row(r.key(by), r) for r in rows)
        filename = f"notes-by-{by}-{since}-{until}.csv"
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    groups: dict[str, list[NoteRow]] = {}
    for row in rows:
        groups.setdefault(row.key(by), []).append(row)
    return {
        "by": by, "from": since.isoformat(), "to": until.isoformat(),
        "groups": [{"key": k, "label": members[0].customer_name if by == "customer" else k,
                    "count": len(members), "notes": [serialize.interaction(m.note, names) for m in members]}
                   for k, members in groups.items()],
    }
