"""Interactions (follow-up notes), validated against the editable lists; published once committed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from agent_ui import serialize
from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, current_user, unit_of_work
from agent_ui.routes.messaging import message_json
from agent_ui.schemas.common import Day
from agent_ui.schemas.interactions import InteractionBody
from agent_ui.schemas.messaging import SavedInteractionOut
from agent_ui.schemas.records import InteractionOut
from agent_ui.schemas.replies import Page
from domain.clock import day_range, local_today
from domain.events import InteractionSaved
from domain.validation import callback_time, promise_due, require, task_due
from store.models import utcnow
from store.repositories.audit import AuditLog
from store.repositories.interactions import InteractionRepository

router = APIRouter(tags=["interactions"], dependencies=[Depends(current_user)])

Channel = Literal["call", "sms", "email", "visit", "note", "mpesa", "ivr"]  # mpesa, ivr: written by the system only


@router.post("/api/customers/{customer_id}/interactions", status_code=status.HTTP_201_CREATED,
             response_model=SavedInteractionOut)
async def add_interaction(customer_id: Id, body: InteractionBody, user: CurrentUser,
                          services: ServicesDep) -> dict[str, Any]:
    """Save a note. ``disposition`` codes come from the tree; a promise creates a promise to pay,
    ``callback_at`` a callback task, ``follow_up`` a task for its assignee."""
    now = utcnow()
    if body.promised_date is not None:
        require("promised_date", promise_due, body.promised_date, local_today(services.settings.timezone))
    if body.callback_at is not None:
        require("callback_at", callback_time, body.callback_at, now)
    if body.follow_up is not None:
        require("follow_up.due_at", task_due, body.follow_up.due_at, now)
    data = body.to_input()
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, purpose="write")
        saved = await InteractionRepository(session, services.lists).create(customer_id, user, data)
        row = saved.interaction
        messaging = services.messaging  # the note's message: same transaction (messaging/)
        message = await messaging.queue_for_note(session, opened.customer, row, user) if messaging else None
        AuditLog(session, user.id).record(
            "create", "interaction", row.id, customer_id=customer_id,
            details={"access": opened.why, "call_id": opened.call_id})
        ids = [user.id] + [t.assignee_id for t in saved.tasks]
        names = await serialize.Names.load(session, ids)
        result = {
            **serialize.interaction(row, names),
            "promise": serialize.promise(saved.promise, names) if saved.promise else None,
            "tasks": [serialize.task(t, names) for t in saved.tasks],
            "message": message_json(message) if message else None,
        }
    if messaging is not None and message is not None:
        await messaging.committed(message)
    await services.publish(InteractionSaved(
        interaction_id=row.id, customer_id=customer_id, operator=user.username, call_id=row.call_id,
        status=row.disposition_status, reason=row.disposition_reason,
        resolution=row.disposition_resolution, promised_date=row.promised_date))
    return result


@router.get("/api/customers/{customer_id}/interactions", response_model=Page[InteractionOut])
async def list_interactions(
    customer_id: Id, user: CurrentUser, services: ServicesDep,
    channel: Channel | None = None,
    type: Annotated[str | None, Query(max_length=64, pattern=r"^[\w .-]+$")] = None,
    since: Annotated[Day | None, Query(alias="from")] = None,
    until: Annotated[Day | None, Query(alias="to")] = None,
    limit: Limit = 100, offset: Offset = 0,
) -> dict[str, Any]:
    """Newest first; ``type`` is the activity type (seed 002) or purpose (seed 004); ``from``/``to``
    are local dates, both included."""
    start, end = day_range(since, until, services.settings.timezone)
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="interactions")
        AuditLog(session, user.id).record("read", "interactions", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        rows = await InteractionRepository(session, services.lists).list(
            customer_id, channel=channel, kind=type, since=start, until=end, limit=limit, offset=offset)
        names = await serialize.Names.load(session, [r.operator_id for r in rows])
    return {"items": [serialize.interaction(r, names) for r in rows], "limit": limit, "offset": offset}
