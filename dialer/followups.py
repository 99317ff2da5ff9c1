"""Due follow-up tasks (seeds 002, 004) pushed to their assignee's socket (``task.due``), once.

APScheduler 3 (``AsyncIOScheduler``) runs one interval job every second. The persistent store of
the work to do is the ``followup_tasks`` table itself: a follow-up is due when ``due_at`` has passed
and ``notified_at`` is empty. Why not a SQLAlchemyJobStore with one job per follow-up: follow-ups are
written by the API and by imports (not by the dialer), so a job per row would have to be kept in step
with every writer, and APScheduler's store needs a synchronous driver (psycopg2) that the project
does not ship. With the table as the store, a restart loses nothing: the next run finds every
follow-up that fell due meanwhile.

Each run claims the due rows with one ``UPDATE ... SET notified_at ... WHERE notified_at IS NULL
RETURNING``, pushes them, then commits: on PostgreSQL a second worker's UPDATE waits for the row
locks and then no longer matches; on SQLite the single writer serialises the runs. So every
follow-up is pushed once; a push that fails rolls the claim back and it is retried next second.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update

from bus.outbox_names import TASK_DUE
from dialer.context import DialerContext
from store.models import Customer, FollowUpTask, User

log = logging.getLogger(__name__)
BATCH = 500


class FollowUpPusher:
    def __init__(self, ctx: DialerContext, *, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self.scheduler: AsyncIOScheduler | None = None

    async def push_due(self) -> int:
        """Push every due, not yet notified follow-up to its assignee; how many were pushed."""
        now = self.ctx.now()
        due = (select(FollowUpTask.id)
               .where(FollowUpTask.done.is_(False), FollowUpTask.notified_at.is_(None),
                      FollowUpTask.due_at <= now)
               .order_by(FollowUpTask.due_at).limit(BATCH))
        async with self.ctx.database.session() as session:
            claimed = (await session.execute(
                update(FollowUpTask)
                .where(FollowUpTask.id.in_(due.scalar_subquery()), FollowUpTask.notified_at.is_(None))
                .values(notified_at=now)
                .returning(FollowUpTask.id, FollowUpTask.assignee_id, FollowUpTask.customer_id,
                           FollowUpTask.kind, FollowUpTask.due_at, FollowUpTask.instructions)
                .execution_options(synchronize_session=False))).all()
            if not claimed:
                return 0
            users = {u.id: u.username for u in (await session.scalars(
                select(User).where(User.id.in_({row[1] for row in claimed})))).all()}
            customer_ids = {row[2] for row in claimed if row[2] is not None}
            names = {c.id: c.name for c in (await session.scalars(
                select(Customer).where(Customer.id.in_(customer_ids))))} if customer_ids else {}
            for task_id, assignee, customer_id, kind, due_at, instructions in claimed:
                username = users.get(assignee)
                if username is None:
                    continue
                data: dict[str, Any] = {
                    "id": task_id, "kind": kind, "customer_id": customer_id,
                    "customer_name": names.get(customer_id) if customer_id is not None else None,
                    "due_at": due_at.isoformat(), "instructions": instructions,
                }
                await self.ctx.push(username, TASK_DUE, data)  # a failure rolls the claim back
        return len(claimed)

    async def _job(self) -> None:
        try:
            await self.push_due()
        except Exception:
            log.exception("follow-up push failed; retrying in %.1f s", self.interval)

    def start(self) -> None:
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        scheduler.add_job(self._job, IntervalTrigger(seconds=self.interval), id="followups.push_due",
                          coalesce=True, max_instances=1, misfire_grace_time=None, replace_existing=True)
        scheduler.start()
        self.scheduler = scheduler

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    async def run(self) -> None:
        """Supervised: start the scheduler and hold it until cancelled."""
        self.start()
        try:
            await asyncio.Event().wait()
        finally:
            self.stop()
