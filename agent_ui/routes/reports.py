"""Supervisor reports over a date range, JSON or CSV: notes by type, by operator and by customer (seed 004);
agent activity and performance, outstanding debt and collection efficiency (seed 003)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui import serialize
from agent_ui.deps import ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.routes.ranges import local_window
from agent_ui.schemas.common import Day
from agent_ui.schemas.replies import AgentsReportOut, CollectionsReportOut, NotesReportOut
from agent_ui.serialize import Names, iso, money
from store.models import User
from store.repositories.audit import AuditLog
from store.repositories.performance import CollectionsBy, agents_report, collections_report
from store.repositories.reports import NO_PURPOSE, NoteRow, ReportBy, notes_report

router = APIRouter(tags=["reports"], dependencies=[Depends(current_user)])
# ``format=csv`` answers the same figures as a spreadsheet (text/csv, a download)
CSV_TOO: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                                                  "description": "JSON, or CSV with format=csv"}}
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


def _audit_export(session: AsyncSession, user: User, format: str, report: str, **params: Any) -> None:
    """A CSV export takes the data out of the system: who took which report, for which range."""
    if format == "csv":
        AuditLog(session, user.id).record("export", "report", report, details={
            k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()})


def _csv_response(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _items_csv(columns: Sequence[str], items: Iterable[dict[str, Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_cell(item[c]) for c in columns] for item in items)
    return _csv_response(buffer.getvalue(), filename)


@router.get("/api/reports/notes", response_model=NotesReportOut, responses=CSV_TOO)
async def notes(
    user: SupervisorUser, services: ServicesDep,
    by: ReportBy = "type",
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    key: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """``by`` type (purpose / activity type), operator or customer; ``from``/``to`` are local dates
    (default: the last 30 days); ``key`` keeps one group."""
    since, until, start, end = local_window(services, since, until)
    async with unit_of_work(services) as session:
        _audit_export(session, user, format, "notes", by=by, since=since, until=until, key=key)
        rows = await notes_report(session, by, start, end, key)
        names = await Names.load(session, [r.note.operator_id for r in rows])
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_CSV_COLUMNS)
        writer.writerows(_csv_row(r.key(by), r) for r in rows)
        return _csv_response(buffer.getvalue(), f"notes-by-{by}-{since}-{until}.csv")
    groups: dict[str, list[NoteRow]] = {}
    for row in rows:
        groups.setdefault(row.key(by), []).append(row)
    purposes = {p.code: p.label for p in services.lists.notes.purposes}

    def label(key: str, members: list[NoteRow]) -> str:
        if by == "customer":
            return members[0].customer_name
        if by == "type":
            return "No purpose" if key == NO_PURPOSE else purposes.get(key, key)
        return key

    return {
        "by": by, "from": since.isoformat(), "to": until.isoformat(),
        "groups": [{"key": k, "label": label(k, members),
                    "count": len(members), "notes": [serialize.interaction(m.note, names) for m in members]}
                   for k, members in groups.items()],
    }


_AGENT_COLUMNS = ("agent", "calls", "talk_seconds", "promises", "kept_rate")
_COLLECTION_COLUMNS = ("group", "outstanding", "overdue", "collected", "efficiency")


@router.get("/api/reports/agents", response_model=AgentsReportOut, responses=CSV_TOO)
async def agents(
    user: SupervisorUser, services: ServicesDep,
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Per agent: calls handled and talk time (calls offered in range), promises taken in range and the
    kept rate of those promises, kept / (kept + broken), ``null`` while none is settled."""
    since, until, start, end = local_window(services, since, until)
    async with unit_of_work(services) as session:
        _audit_export(session, user, format, "agents", since=since, until=until)
        rows = await agents_report(session, start, end)
    items = [{"agent": r.agent, "calls": r.calls, "talk_seconds": r.talk_seconds, "promises": r.promises,
              "kept_rate": r.kept_rate} for r in rows]
    if format == "csv":
        return _items_csv(_AGENT_COLUMNS, items, f"agents-{since}-{until}.csv")
    return {"from": since.isoformat(), "to": until.isoformat(), "items": items}


@router.get("/api/reports/collections", response_model=CollectionsReportOut, responses=CSV_TOO)
async def collections(
    user: SupervisorUser, services: ServicesDep,
    by: CollectionsBy = "campaign",
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Per campaign (or assigned agent, ``by=agent``) of the customers: outstanding balance and overdue
    amount of active loans now, repayments and M-Pesa deposits posted in range, and the collection
    efficiency collected / (collected + overdue), ``null`` when nothing is overdue (nothing to collect
    against). Money as decimal strings in ``currency``."""
    since, until, start, end = local_window(services, since, until)
    async with unit_of_work(services) as session:
        _audit_export(session, user, format, "collections", by=by, since=since, until=until)
        rows = await collections_report(session, start, end, by)
    items = [{"group": r.group, "outstanding": money(r.outstanding), "overdue": money(r.overdue),
              "collected": money(r.collected), "efficiency": r.efficiency} for r in rows]
    if format == "csv":
        return _items_csv(_COLLECTION_COLUMNS, items, f"collections-by-{by}-{since}-{until}.csv")
    return {"by": by, "from": since.isoformat(), "to": until.isoformat(), "currency": services.settings.currency,
            "items": items}
