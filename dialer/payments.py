"""A payment reaches the queue within a second: collection tasks of a customer who is paid up are
cancelled (a preview on screen is taken back), the others are re-ranked on what is still overdue.

"Paid up" for a task: the payments posted since the task was created cover what it chases (the
unpaid part of its broken promise, or the customer's overdue amount).

Most payers have no such task waiting (M-Pesa may bring hundreds a second): one hot statement
(:data:`WAITING_TASK`, on the driver directly) says so before any unit of work is opened. The
engine is woken only when a preview is taken back (:meth:`DialerContext.give_back` wakes it: the
agent is free for another offer). Cancelling or re-ranking a queued task gives the engine nothing
to do now (an agent free for it would have had it offered already): its next tick, within
``tick_seconds``, sees the queue as the payment left it. (A tick costs tens of statements; waking
one per such payment cost more CPU than the payments' own posting.)
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bus.outbox_names import DIALER_PREVIEW_CANCELLED
from dialer.context import DialerContext
from dialer.rules import BROKEN_PROMISE, PAST_DUE_REASONS, priority
from domain.events import PaymentReceived
from store.hot import HotStatement
from store.models import CallTask, PromiseToPay, StatementTransaction, TaskStatus, TxnDirection, User
from store.repositories.accounts import NON_PAYMENT_CREDITS
from store.repositories.dialer import DialerRepository

log = logging.getLogger(__name__)
COLLECTION_REASONS = PAST_DUE_REASONS | {BROKEN_PROMISE, "consecutive_grace_days_used", "limited_grace_days_left"}
WAITING = (TaskStatus.QUEUED, TaskStatus.RESERVED)  # the tasks a payment may cancel or re-rank
WAITING_TASK = HotStatement(  # a customer's first such task, if any
    select(CallTask.id).where(CallTask.customer_id == bindparam("customer_id", type_=CallTask.customer_id.type),
                              CallTask.status.in_(WAITING), CallTask.reason.in_(sorted(COLLECTION_REASONS)))
    .limit(1))


class Payments:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    async def _paid_since(self, session: AsyncSession, customer_id: int, task: CallTask) -> Decimal:
        total = await session.scalar(
            select(func.coalesce(func.sum(StatementTransaction.amount), 0)).where(
                StatementTransaction.customer_id == customer_id,
                StatementTransaction.direction == TxnDirection.CREDIT,
                StatementTransaction.kind.not_in(list(NON_PAYMENT_CREDITS)),
                StatementTransaction.created_at >= task.created_at))
        return Decimal(total or 0)

    async def has_waiting_task(self, customer_id: int) -> bool:
        """Whether the customer has a queued or reserved collection task (read again under the
        write lock by :meth:`on_payment` before it changes one)."""
        async with self.ctx.database.hot() as hot:
            return await hot.fetchrow(WAITING_TASK, {"customer_id": customer_id}) is not None

    async def on_payment(self, ev: PaymentReceived) -> None:
        now, config = self.ctx.now(), self.ctx.lists.dialer
        taken_back: list[tuple[int, int]] = []
        try:
            event_amount = Decimal(ev.amount)
        except ArithmeticError:
            event_amount = Decimal(0)
        if not await self.has_waiting_task(ev.customer_id):
            return  # the queue did not change: no tick for it (a tick costs a dozen statements)
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            tasks = [t for t in await repo.open_tasks(ev.customer_id, COLLECTION_REASONS) if t.status in WAITING]
            if not tasks:
                return
            figures = await repo.figures(ev.customer_id)
            customer = await repo.customer(ev.customer_id)
            for task in tasks:
                paid = max(await self._paid_since(session, ev.customer_id, task), event_amount)
                owed = figures.overdue_amount
                if task.reason == BROKEN_PROMISE and task.promise_id is not None:
                    promise = await session.get(PromiseToPay, task.promise_id)
                    if promise is not None:
                        owed = promise.amount - promise.paid_amount
                left = owed - paid
                if left <= 0 or float(left) < config.task_rules.overdue_amount_threshold:
                    if task.status == TaskStatus.RESERVED and task.reserved_by_id is not None:
                        taken_back.append((task.id, task.reserved_by_id))
                    task.status, task.last_outcome = TaskStatus.CANCELLED, "paid"
                    task.reserved_by_id = task.reserved_at = None
                else:
                    task.priority = priority(config, self.ctx.policy, overdue_amount=left,
                                             days_past_due=figures.days_past_due,
                                             risk=customer.risk_score if customer else 0.0)
                task.updated_at = now
            names = {u.id: u.username for u in (await session.scalars(
                select(User).where(User.id.in_([a for _, a in taken_back])))).all()} if taken_back else {}
        for task_id, agent_id in taken_back:
            if agent_id in names:
                await self.ctx.push(names[agent_id], DIALER_PREVIEW_CANCELLED,
                                    {"task_id": task_id, "why": "the customer paid"})
            await self.ctx.give_back(agent_id)  # wakes the engine: the agent is free again
