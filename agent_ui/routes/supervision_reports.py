"""Reports over days: SLA compliance per queue and day (or hour), and agent activity per agent and
day. JSON for the screen's chart and table, or CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from agent_ui.deps import ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.routes.csv_export import csv_response
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.common import Day
from agent_ui.schemas.supervision import ActivityReportOut, SlaReportOut
from domain.events import utcnow
from store.repositories import agent_activity, report_sources
from supervision.activity import activity_rows
from supervision.sla import SHORT_ABANDON_SECONDS, By, sla_rows

router = APIRouter(tags=["reports"], dependencies=[Depends(current_user)])
Since = Annotated[Day | None, Query(alias="from")]
Until = Annotated[Day | None, Query(alias="to")]
SLA_COLUMNS = ("queue", "period", "threshold_seconds", "offered", "answered", "answered_within", "abandoned",
               "short_abandoned", "service_level", "average_speed_of_answer", "longest_wait")
ACTIVITY_COLUMNS = ("agent", "day", "logged_in_seconds", "ready_seconds", "paused_seconds", "paused_by_code",
                    "ringing_seconds", "talk_seconds", "wrap_up_seconds", "calls", "promises", "kept_rate",
                    "occupancy")


@router.get("/api/reports/sla", response_model=SlaReportOut, responses=CSV_TOO)
async def sla(_user: SupervisorUser, services: ServicesDep, since: Since = None, until: Until = None,
              queue: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
              by: By = "day", format: Literal["json", "csv"] = "json") -> dict[str, Any] | Response:
    """Per queue and local day (or hour) from the call log: offered, answered, answered within the
    queue's threshold (its campaign's ``service_level_seconds``, else the default), abandoned,
    short abandons (within 5 s, counted apart and left out of the service level), service level,
    average speed of answer and longest wait (seconds). ``totals``: each queue over the range."""
    since, until, start, end = local_window(services, since, until, max_days=31 if by == "hour" else 366)
    lists = services.lists
    thresholds = {c.queue: c.service_level_seconds for c in lists.dialer.campaigns
                  if c.service_level_seconds is not None}
    async with unit_of_work(services) as session:
        calls = await report_sources.queue_calls(session, start, end, queue)
    rows, totals = sla_rows(calls, timezone=services.settings.timezone, by=by, thresholds=thresholds,
                            default_threshold=services.settings.service_level_seconds)
    items = [r.as_json() for r in rows]
    if format == "csv":
        return csv_response(SLA_COLUMNS, items, f"sla-by-{by}-{since}-{until}.csv")
    return {"from": since.isoformat(), "to": until.isoformat(), "by": by,
            "short_abandon_seconds": SHORT_ABANDON_SECONDS, "items": items, "totals": [t.as_json() for t in totals]}


@router.get("/api/reports/activity", response_model=ActivityReportOut, responses=CSV_TOO)
async def activity(_user: SupervisorUser, services: ServicesDep, since: Since = None, until: Until = None,
                   agent: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
                   format: Literal["json", "csv"] = "json") -> dict[str, Any] | Response:
    """Per agent and local day: logged-in, ready, paused (by pause code), ringing, talk and wrap-up
    seconds from the agent state log; calls answered; promises taken and their kept rate; and
    occupancy = time on calls / (time on calls + ready)."""
    since, until, start, end = local_window(services, since, until, default_days=6, max_days=92)
    end = min(end, utcnow())
    async with unit_of_work(services) as session:
        names = await report_sources.agent_names(session)
        wanted = None if agent is None else [i for i, n in names.items() if n == agent]
        entries = await agent_activity.entries(session, start, end, wanted) if end > start else []
        calls = await report_sources.answered_calls(session, start, end)
        promises = await report_sources.promises_made(session, start, end)
    rows = activity_rows(entries, calls, promises, names, since=start, until=end,
                         timezone=services.settings.timezone)
    items = [r.as_json() for r in rows if agent is None or r.agent == agent]
    if format == "csv":
        return csv_response(ACTIVITY_COLUMNS, items, f"activity-{since}-{until}.csv")
    return {"from": since.isoformat(), "to": until.isoformat(), "items": items}
