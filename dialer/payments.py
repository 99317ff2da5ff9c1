"""A payment reaches the queue within a second: collection tasks of a customer who is paid up are
cancelled (a preview on screen is taken back), the others are re-ranked on what is still overdue.

"Paid up" for a task: the payments posted since the task was created cover what it chases (the
unpaid part of its broken promise, or the customer's overdue amount).

M-Pesa may bring hundreds of payments a second, so the bus group runs several at once (in order
per customer, :mod:`bus.ordering`) and the payments that arrive together are handled as one batch
(:class:`runtime.coalesce.Coalescer`: the first one waiting leads, after :data:`LINGER_SECONDS` so
that the payments of the next bus reads join it; each handler returns once its batch is committed,
so the bus acks an event only after its reaction is stored). A batch costs one hot statement when
none of its payers has a waiting task (most of them), and otherwise one unit of work for those who
have: their tasks, figures, payments since each task and promises, a few statements for the whole
batch.

The engine is woken only when a preview is taken back (:meth:`DialerContext.give_back` wakes it:
the agent is free for another offer). Cancelling or re-ranking a queued task gives the engine
nothing to do now (an agent free for it would have had it offered already): its next tick, within
``tick_seconds``, sees the queue as the payment left it. (A tick costs tens of statements; waking
one per such payment cost more CPU than the payments' own posting.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, select

from bus.outbox_names import DIALER_PREVIEW_CANCELLED
from dialer.context import DialerContext
from dialer.rules import BROKEN_PROMISE, PAST_DUE_REASONS, priority
from domain.events import PaymentReceived
from runtime.coalesce import Coalescer
from store.hot import HotStatement
from store.models import CallTask, Customer, PromiseToPay, TaskStatus, User
from store.repositories.dialer import DialerRepository

log = logging.getLogger(__name__)
COLLECTION_REASONS = PAST_DUE_REASONS | {BROKEN_PROMISE, "consecutive_grace_days_used", "limited_grace_days_left"}
WAITING = (TaskStatus.QUEUED, TaskStatus.RESERVED)  # the tasks a payment may cancel or re-rank
CONCURRENCY = 64  # the bus group's events at once: the largest batch
LINGER_SECONDS = 0.05  # a batch waits this long for more payments (the queue changes within a second)


def _waiting(customer_in: ColumnElement[bool]) -> HotStatement:
    return HotStatement(select(CallTask.customer_id).distinct().where(
        customer_in, CallTask.status.in_(WAITING), CallTask.reason.in_(sorted(COLLECTION_REASONS))))


WAITING_ANY = _waiting(CallTask.customer_id == any_(bindparam("ids", type_=ARRAY(Integer()))))  # PostgreSQL
WAITING_IN = _waiting(CallTask.customer_id.in_(bindparam("ids", expanding=True)))  # the others


def _amount(ev: PaymentReceived) -> Decimal:
    try:
        return Decimal(ev.amount)
    except ArithmeticError:
        return Decimal(0)


class Payments:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx
        self.batches: Coalescer[PaymentReceived, None] = Coalescer(self._react, max_batch=CONCURRENCY,
                                                                        linger=LINGER_SECONDS)

    async def on_payment(self, ev: PaymentReceived) -> None:
        """Returns once this payment's batch is handled (a failure raises here: the bus retries)."""
        await self.batches.submit(ev)

    async def waiting_customers(self, customer_ids: Sequence[int]) -> set[int]:
        """Which of them have a queued or reserved collection task (one hot statement; read again
        under the write lock before a task is changed)."""
        async with self.ctx.database.hot() as hot:
            statement = WAITING_ANY if hot.dialect == "postgresql" else WAITING_IN
            return {int(row[0]) for row in await hot.fetch(statement, {"ids": list(customer_ids)})}

    async def _react(self, events: list[PaymentReceived]) -> list[None]:
        floors: dict[int, Decimal] = {}  # each payer's largest payment of the batch
        for ev in events:
            floors[ev.customer_id] = max(floors.get(ev.customer_id, Decimal(0)), _amount(ev))
        waiting = await self.waiting_customers(sorted(floors))
        if waiting:  # else the queue did not change: no unit of work, no tick
            taken_back = await self._settle({cid: floors[cid] for cid in sorted(waiting)})
            for task_id, agent_id, username in taken_back:
                if username is not None:
                    await self.ctx.push(username, DIALER_PREVIEW_CANCELLED,
                                        {"task_id": task_id, "why": "the customer paid"})
                await self.ctx.give_back(agent_id)  # wakes the engine: the agent is free again
        return [None] * len(events)

    async def _settle(self, floors: dict[int, Decimal]) -> list[tuple[int, int, str | None]]:
        """Cancel or re-rank the payers' waiting tasks; the previews taken back (task, agent, name)."""
        now, config = self.ctx.now(), self.ctx.lists.dialer
        taken_back: list[tuple[int, int]] = []
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            tasks = await repo.waiting_tasks(list(floors), WAITING, sorted(COLLECTION_REASONS))
            if not tasks:
                return []
            customers = sorted({t.customer_id for t in tasks})
            figures = await repo.figures_many(customers)
            risks = dict((await session.execute(
                select(Customer.id, Customer.risk_score).where(Customer.id.in_(customers)))).tuples().all())
            paid_since = await repo.credits_since_created([t.id for t in tasks])
            promise_ids = sorted({t.promise_id for t in tasks if t.reason == BROKEN_PROMISE and t.promise_id})
            unpaid = {p.id: p.amount - p.paid_amount for p in (await session.scalars(
                select(PromiseToPay).where(PromiseToPay.id.in_(promise_ids)))).all()} if promise_ids else {}
            for task in tasks:
                figure = figures[task.customer_id]
                owed = figure.overdue_amount
                if task.reason == BROKEN_PROMISE and task.promise_id in unpaid:
                    owed = unpaid[task.promise_id]
                left = owed - max(paid_since[task.id], floors[task.customer_id])
                if left <= 0 or float(left) < config.task_rules.overdue_amount_threshold:
                    if task.status == TaskStatus.RESERVED and task.reserved_by_id is not None:
                        taken_back.append((task.id, task.reserved_by_id))
                    task.status, task.last_outcome = TaskStatus.CANCELLED, "paid"
                    task.reserved_by_id = task.reserved_at = None
                else:
                    task.priority = priority(config, self.ctx.policy, overdue_amount=left,
                                             days_past_due=figure.days_past_due,
                                             risk=risks.get(task.customer_id) or 0.0)
                task.updated_at = now
            names = dict((await session.execute(select(User.id, User.username).where(
                User.id.in_([a for _, a in taken_back])))).tuples().all()) if taken_back else {}
        return [(task_id, agent_id, names.get(agent_id)) for task_id, agent_id in taken_back]
