"""Follow-up tasks and callbacks: each operator's list for a day (seeds 002, 004).

Each task comes as a card: the customer it is about (an open task opens that customer to its
assignee, see :mod:`agent_ui.access`), the reason (the subject and disposition of the note that set
it) and who set it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui import serialize
from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.schemas.replies import Page
from agent_ui.schemas.tasks import TaskCardOut
from agent_ui.schemas.work import TaskCreate, TaskUpdate
from domain.clock import day_start, local_today
from domain.errors import NotFound, PermissionDenied
from domain.validation import require, task_due
from store.models import Customer, FollowUpTask, Interaction, User, utcnow
from store.repositories.assignments import AssignmentRepository
from store.repositories.audit import AuditLog
from store.repositories.tasks import TaskRepository

router = APIRouter(tags=["tasks"], dependencies=[Depends(current_user)])


async def cards(session: AsyncSession, tasks: Sequence[FollowUpTask]) -> list[dict[str, Any]]:
    """The tasks as cards, with their customers, notes and setters fetched once for all."""
    names = await serialize.Names.load(session, [t.assignee_id for t in tasks] + [t.created_by_id for t in tasks])
    cids = {t.customer_id for t in tasks if t.customer_id is not None}
    nids = {t.interaction_id for t in tasks if t.interaction_id is not None}
    uids = {t.created_by_id for t in tasks if t.created_by_id is not None}
    customers = {row[0]: row for row in (await session.execute(
        select(Customer.id, Customer.name, Customer.client_id).where(Customer.id.in_(cids)))).tuples().all()}
    notes = {n.id: n for n in (await session.scalars(select(Interaction).where(Interaction.id.in_(nids)))).all()}
    setters = dict((await session.execute(
        select(User.id, User.display_name).where(User.id.in_(uids)))).tuples().all())
    out = []
    for t in tasks:
        customer = customers.get(t.customer_id) if t.customer_id is not None else None
        note = notes.get(t.interaction_id) if t.interaction_id is not None else None
        disposition = None if note is None or note.disposition_status is None else {
            "status": note.disposition_status, "reason": note.disposition_reason,
            "resolution": note.disposition_resolution}
        setter = setters.get(t.created_by_id) if t.created_by_id is not None else None
        out.append({**serialize.task(t, names),
                    "customer_name": customer[1] if customer else None,
                    "customer_client_id": customer[2] if customer else None,
                    "reason": note.subject if note is not None else None,
                    "reason_disposition": disposition,
                    "created_by_name": setter or names.user(t.created_by_id)})
    return out


@router.post("/api/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskCardOut)
async def create_task(body: TaskCreate, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    require("due_at", task_due, body.due_at, utcnow())
    async with unit_of_work(services) as session:
        if body.customer_id is not None:
            await open_customer(session, user, body.customer_id, purpose="write")
        assignee = user if body.assignee is None else await AssignmentRepository(session).assignee(
            body.assignee, "assignee")
        task = await TaskRepository(session).create(
            assignee_id=assignee.id, due_at=body.due_at, instructions=body.instructions,
            customer_id=body.customer_id, created_by_id=user.id)
        AuditLog(session, user.id).record("create", "task", task.id, customer_id=body.customer_id)
        [card] = await cards(session, [task])
    return card


@router.get("/api/tasks", response_model=Page[TaskCardOut])
async def list_tasks(
    user: CurrentUser, services: ServicesDep,
    due: Literal["today", "overdue", "all"] = "all",
    assignee: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
    include_done: bool = False, limit: Limit = 200, offset: Offset = 0,
) -> dict[str, Any]:
    """The caller's tasks; supervisors and admins may ask for another ``assignee`` (or ``*``)."""
    if assignee is not None and assignee != user.username and not sees_all(user):
        raise PermissionDenied("agents see their own tasks", {"assignee": "forbidden"})
    tz = services.settings.timezone
    start = day_start(local_today(tz), tz)
    due_from, due_before = {"today": (start, start + timedelta(days=1)), "overdue": (None, start),
                            "all": (None, None)}[due]
    async with unit_of_work(services) as session:
        assignee_id: int | None = user.id
        if assignee is not None and assignee != user.username:
            assignee_id = None if assignee == "*" else (await AssignmentRepository(session).agent(
                assignee, "assignee")).id
        tasks = await TaskRepository(session).list(assignee_id=assignee_id, due_from=due_from,
                                                   due_before=due_before, include_done=include_done,
                                                   limit=limit, offset=offset)
        items = await cards(session, tasks)
    return {"items": items, "limit": limit, "offset": offset}


@router.patch("/api/tasks/{task_id}", response_model=TaskCardOut)
async def update_task(task_id: Id, body: TaskUpdate, user: CurrentUser,
                      services: ServicesDep) -> dict[str, Any]:
    if body.due_at is not None:
        require("due_at", task_due, body.due_at, utcnow())
    async with unit_of_work(services) as session:
        repo = TaskRepository(session)
        task = await repo.get(task_id)
        if not sees_all(user) and user.id not in (task.assignee_id, task.created_by_id):
            raise NotFound(f"no task {task_id}", {"id": str(task_id)})
        if body.due_at is not None:
            task.due_at = body.due_at
            task.notified_at = None
        if "instructions" in body.model_fields_set:
            task.instructions = body.instructions
        if body.done is not None:
            await repo.set_done(task, body.done)
        AuditLog(session, user.id).record("update", "task", task.id, customer_id=task.customer_id,
                                          details={"fields": sorted(body.model_fields_set)})
        await session.flush()
        [card] = await cards(session, [task])
    return card
