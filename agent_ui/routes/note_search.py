"""Note search across customers: ``GET /api/notes`` (seed 004), newest first, JSON or CSV.

Supervisors search every customer's notes; an agent, the notes of the customers assigned to them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from agent_ui import serialize
from agent_ui.deps import CurrentUser, Offset, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.routes.csv_export import csv_response
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.common import Day
from agent_ui.schemas.supervision import NoteSearchOut
from store.repositories.note_search import NoteQuery, NoteState, search_notes, words_of

router = APIRouter(tags=["notes"], dependencies=[Depends(current_user)])
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[\w .-]+$")]
MAX_CSV = 10_000
COLUMNS = ("id", "created_at", "customer_id", "customer_name", "operator", "channel", "activity_type", "purpose",
           "subject", "detail", "comments", "call_outcome", "customer_mood", "complete", "disposition_status",
           "disposition_reason", "disposition_resolution", "call_id")


@router.get("/api/notes", response_model=NoteSearchOut, responses=CSV_TOO)
async def notes(
    user: CurrentUser, services: ServicesDep,
    purpose: Code = None, channel: Literal["call", "sms", "email", "visit", "note"] | None = None,
    type: Code = None, operator: Code = None, outcome: Code = None, mood: Code = None,
    state: NoteState | None = None,
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Offset = 0,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """``type`` is the activity type; ``outcome`` the call outcome; ``state`` complete or open (a
    follow-up is due); ``q`` words that must all appear in the subject, detail or comments (any case);
    ``from``/``to`` local days, both included."""
    start = end = None
    if since is not None or until is not None:
        _s, _u, start, end = local_window(services, since, until, default_days=0)
    query = NoteQuery(purpose=purpose, channel=channel, activity_type=type, operator=operator, outcome=outcome,
                      mood=mood, state=state, since=start, until=end, words=words_of(q),
                      assigned_to=None if sees_all(user) else user.id)
    csv = format == "csv"
    async with unit_of_work(services) as session:
        found = await search_notes(session, query, limit=MAX_CSV if csv else limit + 1, offset=0 if csv else offset)
        names = await serialize.Names.load(session, [f.note.operator_id for f in found])
    more = not csv and len(found) > limit
    items = [{**serialize.interaction(f.note, names), "customer_name": f.customer_name}
             for f in (found if csv else found[:limit])]
    if csv:
        rows = [{**i, **{f"disposition_{k}": v for k, v in i["disposition"].items()}} for i in items]
        return csv_response(COLUMNS, rows, "notes.csv")
    return {"items": items, "limit": limit, "offset": offset, "more": more}
