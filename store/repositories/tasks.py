"""Follow-up tasks and callbacks (seeds 002, 004): each appears in its assignee's list on its date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from store.models import FollowUpTask, utcnow


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, *, assignee_id: int, due_at: datetime, instructions: str | None,
                     customer_id: int | None, created_by_id: int | None, kind: str = "follow_up",
                     interaction_id: int | None = None) -> FollowUpTask:
        task = FollowUpTask(assignee_id=assignee_id, due_at=due_at, instructions=instructions,
                            customer_id=customer_id, created_by_id=created_by_id, kind=kind,
                            interaction_id=interaction_id)
        self.session.add(task)
        await self.session.flush()
        return task

    async def get(self, task_id: int) -> FollowUpTask:
        task = await self.session.get(FollowUpTask, task_id)
        if task is None:
            raise NotFound(f"no task {task_id}", {"id": str(task_id)})
        return task

    async def list(self, *, assignee_id: int | None, due_before: datetime | None = None,
                   due_from: datetime | None = None, include_done: bool = False,
                   limit: int = 200, offset: int = 0) -> list[FollowUpTask]:
        """Tasks by due time; ``due_before`` is exclusive (e.g. tomorrow 00:00 for 'due today')."""
        query: Select[FollowUpTask] = select(FollowUpTask)
        if assignee_id is not None:
            query = query.where(FollowUpTask.assignee_id == assignee_id)
        if not include_done:
            query = query.where(FollowUpTask.done.is_(False))
        if due_from is not None:
            query = query.where(FollowUpTask.due_at >= due_from)
        if due_before is not None:
            query = query.where(FollowUpTask.due_at < due_before)
        rows = await self.session.scalars(
            query.order_by(FollowUpTask.due_at, FollowUpTask.id).offset(offset).limit(limit))
        return list(rows.all())

    async def set_done(self, task: FollowUpTask, done: bool) -> FollowUpTask:
        if done and not task.done:
            task.done_at = utcnow()
        elif not done:
            task.done_at = None
        task.done = done
        await self.session.flush()
        return task
