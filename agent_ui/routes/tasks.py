"""Follow-up tasks and callbacks: each operator's list for a day (seeds 002, 004)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from agent_ui import serialize
from agent_ui.access import open_customer
from agent_ui.clock import day_start, local_today
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.schemas.work import TaskCreate, TaskUpdate
from domain.errors import NotFound, PermissionDenied
from store.repositories.assignments import AssignmentRepository
from store.repositories.audit import AuditLog
from store.repositories.tasks import TaskRepository

router = APIRouter(tags=["tasks"], dependencies=[Depends(current_user)])


@router.post("/api/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(body: TaskCreate, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        if body.customer_id is not None:
            await open_customer(session, user, body.customer_id, purpose="write")
        assignee = user if body.assignee is None else await AssignmentRepository(session).agent(
            body.assignee, "assignee")
        task = await TaskRepository(session).create(
            assignee_id=assignee.id, due_at=body.due_at, instructions=body.instructions,
            customer_id=body.customer_id, created_by_id=user.id)
        AuditLog(session, user.id).record("create", "task", task.id, customer_id=body.customer_id)
        names = await serialize.Names.load(session, [assignee.id, user.id])
    return serialize.task(task, names)


@router.get("/api/tasks")
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
        names = await serialize.Names.load(session, [t.assignee_id for t in tasks]
                                           + [t.created_by_id for t in tasks])
    return {"items": [serialize.task(t, names) for t in tasks], "limit": limit, "offset": offset}


@router.patch("/api/tasks/{task_id}")
async def update_task(task_id: Id, body: TaskUpdate, user: CurrentUser,
                      services: ServicesDep) -> dict[str, Any]:
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
        names = await serialize.Names.load(session, [task.assignee_id, task.created_by_id])
    return serialize.task(task, names)
