"""The one call log: ``GET /api/calls`` with filters, paged on the server (a cursor), and CSV.

Supervisors see every call; an agent sees their own (``agent`` is then themselves, or 403). Each
call carries what the supervisor's screen shows (wait, talk, wrap-up, who it rang, disposition and
note, campaign: the drill-down from a report's agent row) and what the desk's call log shows (the
controls used on it: holds, transfers, recording pauses; and the recordings the viewer may play).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from agent_ui.deps import MAX_DB_INT, CurrentUser, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.recording_view import CallExtras, call_extras
from agent_ui.routes.csv_export import csv_response
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.calls import CallLogOut
from agent_ui.schemas.common import Day
from agent_ui.serialize import iso
from domain.errors import InvalidInput, PermissionDenied
from domain.events import utcnow
from store.models import User
from store.repositories.call_log_queries import (
    CallFilter,
    CallPage,
    CallRow,
    Outcome,
    all_calls,
    calls_page,
    campaign_by_code,
    outcome_of,
    wait_seconds,
)
from store.repositories.users import UserRepository

router = APIRouter(tags=["calls"], dependencies=[Depends(current_user)])
Name = Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")]
MAX_CSV = 10_000
COLUMNS = ("call_id", "direction", "queue", "campaign", "carrier", "offered_at", "answered_at", "ended_at",
           "wait_seconds", "talk_seconds", "wrapup_seconds", "outcome", "cause", "agent", "rang", "customer_id",
           "customer_name", "disposition_status", "disposition_reason", "disposition_resolution", "note_id")


def item(call: CallRow, page: CallPage) -> dict[str, Any]:
    """A call as the supervisor's table and the CSV show it."""
    note = page.notes.get(call.call_id)
    customer = call.customer_id
    return {
        "call_id": call.call_id, "direction": call.direction, "carrier": call.carrier, "server": call.server,
        "queue": call.queue, "campaign": page.campaigns.get(call.call_id), "caller_number": call.caller_number,
        "dialed_number": call.dialed_number, "offered_at": iso(call.offered_at), "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at), "wait_seconds": wait_seconds(call), "talk_seconds": call.talk_seconds,
        "wrapup_seconds": page.legs.wrapup_seconds.get(call.call_id), "outcome": outcome_of(call),
        "cause": call.cause, "agent": call.agent,
        "rang": page.legs.rang.get(call.call_id, []), "customer_id": customer,
        "customer_name": call.customer_name,
        "customer_url": f"/customers/{customer}" if customer else None,
        "disposition": ({"status": note.status, "reason": note.reason, "resolution": note.resolution}
                        if note is not None and note.status else None),
        "note_id": note.id if note else None,
        "note_url": f"/customers/{customer}#note-{note.id}" if note and customer else None,
    }


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    d = row.get("disposition") or {}
    return {**row, "disposition_status": d.get("status"), "disposition_reason": d.get("reason"),
            "disposition_resolution": d.get("resolution")}


async def _filter(services: ServicesDep, user: User, *, agent: str | None, queue: str | None,
                  campaign: str | None, direction: str | None, outcome: Outcome | None, customer: int | None,
                  since: date | None, until: date | None) -> CallFilter:
    start = end = None
    if since is not None or until is not None:
        _since, _until, start, end = local_window(services, since, until, default_days=0)
    agent_id: int | None = None
    campaign_id: int | None = None
    if not sees_all(user):
        if agent not in (None, user.username):
            raise PermissionDenied("agents see their own calls", {"agent": "must be yourself"})
        agent_id = user.id
    if (agent is not None and agent_id is None) or campaign:  # only then a look-up
        async with unit_of_work(services) as session:
            if agent is not None and agent_id is None:
                found = await UserRepository(session).get(agent)
                if found is None:
                    raise InvalidInput(f"no user {agent!r}", {"agent": f"unknown user {agent!r}"})
                agent_id = found.id
            campaign_id = (await campaign_by_code(session, campaign)).id if campaign else None
    return CallFilter(agent_id=agent_id, queue=queue, campaign_id=campaign_id, direction=direction,
                      outcome=outcome, customer_id=customer, since=start, until=end)


@router.get("/api/calls", response_model=CallLogOut, responses=CSV_TOO)
async def list_calls(
    user: CurrentUser, services: ServicesDep,
    agent: Name = None, queue: Name = None, campaign: Name = None,
    direction: Literal["inbound", "outbound"] | None = None,
    outcome: Outcome | None = None,
    customer: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Newest first. ``from``/``to`` are local days (both included); ``outcome`` is answered,
    abandoned (hung up waiting) or missed (not answered: no answer, busy, failed). The answer's
    ``next_cursor`` fetches the next (older) page; ``format=csv`` exports up to 10,000 calls."""
    f = await _filter(services, user, agent=agent, queue=queue, campaign=campaign, direction=direction,
                      outcome=outcome, customer=customer, since=since, until=until)
    now = utcnow()
    by_queue = {c.queue: c.code for c in services.lists.dialer.campaigns}
    async with unit_of_work(services) as session:
        if format == "csv":
            page = await all_calls(session, f, limit=MAX_CSV, now=now, queue_campaigns=by_queue)
            extras = CallExtras()
        else:
            page = await calls_page(session, f, limit=limit, cursor=cursor, now=now, queue_campaigns=by_queue)
            extras = await call_extras(session, [call.call_id for call in page.calls])
    if format == "csv":
        return csv_response(COLUMNS, [_flat(item(call, page)) for call in page.calls], "calls.csv")
    items = [{**item(call, page), **extras.of(call.call_id, call.agent_id, user)} for call in page.calls]
    return {"items": items, "next_cursor": page.next_cursor, "limit": limit}
