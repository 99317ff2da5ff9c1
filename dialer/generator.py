"""Calls-to-make tasks from the rules in dialer.yaml and from events.

- Broken promises: a pending promise ``broken_promise_grace_days`` after its date, not covered by
  payments, is marked broken and gets a ``broken_promise`` task (escalated at once above
  ``escalation.broken_promise_amount``).
- Due callbacks (follow-up tasks of kind ``callback``): a ``callback`` task owned by the assignee,
  eligible ``callback_lead_minutes`` early, offered to anyone after the grace time.
- Past-due accounts (days past due and overdue amount over the thresholds): ``late``,
  ``payg_default`` or ``overdue_loan`` (seed 001), one open task per customer for the family.
- New leads (customer status ``lead``) and upgrade offers (good standing, low risk, a loan older
  than six months).
- Anything else (seed 001's grace-day, touchpoint and technical reasons, imports): :meth:`enqueue`.

A customer has at most one open task per reason family; a family closed within the cool-down is not
re-created at once. Task writers are serialised (an advisory lock on PostgreSQL, the single writer on
SQLite), so two workers never create the same task.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bus.outbox_names import DIALER_ESCALATED
from dialer.context import DialerContext
from dialer.rules import (
    BROKEN_PROMISE,
    CALLBACK,
    NEW_LEAD,
    UPGRADE_OFFER,
    callback_window,
    escalate_broken_promise,
    family_reasons,
    is_past_due,
    past_due_reason,
    priority,
)
from domain.errors import InvalidInput
from domain.events import PromiseBroken
from store.models import (
    CallTask,
    Customer,
    FollowUpTask,
    Loan,
    PromiseStatus,
    PromiseToPay,
    TaskStatus,
)
from store.repositories.dialer import OPEN_STATUSES, DialerRepository

log = logging.getLogger(__name__)
_HELD = (*OPEN_STATUSES, TaskStatus.ESCALATED)
INSERT_CHUNK = 250


def _rule_task(customer_id: int, campaign_id: int, reason: str, now: datetime, rank: float) -> dict[str, Any]:
    return {"customer_id": customer_id, "campaign_id": campaign_id, "reason": reason, "source": "rule",
            "priority": rank, "status": TaskStatus.QUEUED, "attempts": 0, "next_eligible_at": now,
            "created_at": now, "updated_at": now}


async def _insert_tasks(session: AsyncSession, tasks: list[dict[str, Any]]) -> int:
    """A pass's new tasks as bulk INSERTs (not ORM objects: a pass may make thousands, and their unit
    of work held the event loop for 150-300 ms), a chunk at a time with the loop free in between."""
    for start in range(0, len(tasks), INSERT_CHUNK):
        if start:
            await asyncio.sleep(0)
        await session.execute(insert(CallTask), tasks[start:start + INSERT_CHUNK])
    return len(tasks)


class Generator:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.ctx.settings.timezone)).date()

    def _no_task(self, reason: str, now: datetime, cooldown: timedelta | None = None) -> ColumnElement[bool]:
        """SQL: the customer (Customer.id) has no held task of the reason's family, and none closed
        within the cool-down."""
        reasons = list(family_reasons(reason))
        since = now - (cooldown or self.ctx.policy.cooldown)
        held = exists().where(CallTask.customer_id == Customer.id, CallTask.reason.in_(reasons),
                              CallTask.status.in_(_HELD) | (CallTask.updated_at >= since))
        return ~held

    async def _campaign_ids(self, repo: DialerRepository) -> dict[str, int]:
        rows = await repo.ensure_campaigns((c.code, c.label, c.carrier, c.queue)
                                           for c in self.ctx.lists.dialer.campaigns)
        return {code: row.id for code, row in rows.items()}

    def _campaign_for(self, ids: dict[str, int], reason: str, customer_campaign: int | None) -> int:
        if customer_campaign is not None:
            return customer_campaign
        try:
            code = self.ctx.lists.reason(reason).campaign
        except InvalidInput:
            code = self.ctx.lists.dialer.campaigns[0].code
        return ids.get(code) or next(iter(ids.values()))

    # --- one task -------------------------------------------------------------------------------------

    async def enqueue(self, customer_id: int, reason: str, *, source: str = "manual",
                      campaign_code: str | None = None, owner_id: int | None = None,
                      at: datetime | None = None, comment: str | None = None) -> int:
        """Queue one task (any reasons.yaml reason); returns the open task of that family if any."""
        self.ctx.lists.reason(reason)  # InvalidInput for an unknown reason
        now = self.ctx.now()
        config = self.ctx.lists.dialer
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.lock_task_writer()
            ids = await self._campaign_ids(repo)
            customer = await session.get(Customer, customer_id)
            if customer is None:
                raise InvalidInput(f"no customer {customer_id}", {"customer_id": "unknown"})
            held = await repo.open_tasks(customer_id, family_reasons(reason))
            if held:
                return held[0].id
            figures = await repo.figures(customer_id)
            campaign_id = ids[campaign_code] if campaign_code in ids else self._campaign_for(
                ids, reason, customer.campaign_id)
            start, owner_until = (at or now), None
            if reason == CALLBACK and at is not None:
                start, owner_until = callback_window(config, at, self.ctx.settings.dialer.callback_grace_minutes)
            task = CallTask(
                customer_id=customer_id, campaign_id=campaign_id, reason=reason, source=source,
                priority=priority(config, self.ctx.policy, overdue_amount=figures.overdue_amount,
                                  days_past_due=figures.days_past_due, risk=customer.risk_score,
                                  callback=reason == CALLBACK),
                status=TaskStatus.QUEUED, attempts=0, next_eligible_at=start, owner_id=owner_id,
                owner_until=owner_until, comment=comment, created_at=now, updated_at=now)
            session.add(task)
            await session.flush()
            task_id = task.id
        self.ctx.poke()
        return task_id

    # --- passes -----------------------------------------------------------------------------------------

    async def fast_pass(self) -> int:
        """Cheap, every tick: broken promises and due callbacks."""
        return await self.broken_promises() + await self.due_callbacks()

    async def slow_pass(self) -> int:
        """The account scans: past due, new leads, upgrade offers."""
        return await self.past_due() + await self.new_leads() + await self.upgrades()

    async def broken_promises(self) -> int:
        now, config = self.ctx.now(), self.ctx.lists.dialer
        cutoff = self.today(now) - timedelta(days=config.task_rules.broken_promise_grace_days)
        escalations: list[dict[str, Any]] = []
        broken: list[PromiseBroken] = []
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.lock_task_writer()
            promises = (await session.scalars(
                select(PromiseToPay).where(PromiseToPay.status == PromiseStatus.PENDING,
                                           PromiseToPay.due_date <= cutoff)
                .order_by(PromiseToPay.due_date, PromiseToPay.id).limit(self.ctx.policy.batch))).all()
            if not promises:
                return 0
            ids = await self._campaign_ids(repo)
            for promise in promises:
                promise.status, promise.settled_at = PromiseStatus.BROKEN, now
                broken.append(PromiseBroken(customer_id=promise.customer_id, promise_id=promise.id,
                                            amount=str(promise.amount), due_date=promise.due_date, at=now))
                customer = await session.get(Customer, promise.customer_id)
                if customer is None or await repo.open_tasks(customer.id, [BROKEN_PROMISE]):
                    continue
                figures = await repo.figures(customer.id)
                escalate = escalate_broken_promise(config, promise.amount)
                task = CallTask(
                    customer_id=customer.id, campaign_id=self._campaign_for(ids, BROKEN_PROMISE,
                                                                            customer.campaign_id),
                    reason=BROKEN_PROMISE, source="event", promise_id=promise.id,
                    priority=priority(config, self.ctx.policy, overdue_amount=max(
                        figures.overdue_amount, promise.amount - promise.paid_amount),
                        days_past_due=figures.days_past_due, risk=customer.risk_score),
                    status=TaskStatus.ESCALATED if escalate else TaskStatus.QUEUED, attempts=0,
                    next_eligible_at=now, created_at=now, updated_at=now)
                session.add(task)
                await session.flush()
                broken[-1] = dataclasses.replace(broken[-1], task_id=task.id)
                if escalate:
                    escalations.append({"task_id": task.id, "customer_id": customer.id,
                                        "reason": BROKEN_PROMISE, "amount": str(promise.amount),
                                        "why": f"broken promise over {config.escalation.broken_promise_amount}",
                                        "queue": config.escalation.queue})
        for message in escalations:
            await self.ctx.push_supervisors(DIALER_ESCALATED, message)
        for event in broken:  # the escalation queue counts them (supervision)
            await self.ctx.bus.publish(event)
        self.ctx.poke()
        return len(promises)

    async def due_callbacks(self) -> int:
        """A callback follow-up gets its call task once (a callback task newer than the follow-up)."""
        now, config = self.ctx.now(), self.ctx.lists.dialer
        horizon = now + timedelta(minutes=config.task_rules.callback_lead_minutes)
        newer = exists().where(CallTask.customer_id == FollowUpTask.customer_id, CallTask.reason == CALLBACK,
                               CallTask.created_at >= FollowUpTask.created_at)
        made = 0
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.lock_task_writer()
            rows = (await session.scalars(
                select(FollowUpTask).where(FollowUpTask.kind == CALLBACK, FollowUpTask.done.is_(False),
                                           FollowUpTask.customer_id.is_not(None), FollowUpTask.due_at <= horizon,
                                           ~newer)
                .order_by(FollowUpTask.due_at).limit(self.ctx.policy.batch))).all()
            if not rows:
                return 0
            ids = await self._campaign_ids(repo)
            for follow_up in rows:
                assert follow_up.customer_id is not None
                customer = await session.get(Customer, follow_up.customer_id)
                if customer is None:
                    continue
                for held in await repo.open_tasks(customer.id, [CALLBACK]):
                    held.status, held.updated_at = TaskStatus.CANCELLED, now  # superseded by the newer one
                figures = await repo.figures(customer.id)
                start, owner_until = callback_window(config, follow_up.due_at,
                                                     self.ctx.settings.dialer.callback_grace_minutes)
                session.add(CallTask(
                    customer_id=customer.id, campaign_id=self._campaign_for(ids, CALLBACK, customer.campaign_id),
                    reason=CALLBACK, source="callback", owner_id=follow_up.assignee_id, owner_until=owner_until,
                    priority=priority(config, self.ctx.policy, overdue_amount=figures.overdue_amount,
                                      days_past_due=figures.days_past_due, risk=customer.risk_score,
                                      callback=True),
                    status=TaskStatus.QUEUED, attempts=0, next_eligible_at=start, comment=follow_up.instructions,
                    created_at=max(now, follow_up.created_at), updated_at=now))
                made += 1
        self.ctx.poke()
        return made

    async def past_due(self) -> int:
        now, config, policy = self.ctx.now(), self.ctx.lists.dialer, self.ctx.policy
        rules = config.task_rules
        pending_promise = exists().where(PromiseToPay.customer_id == Customer.id,
                                         PromiseToPay.status == PromiseStatus.PENDING)
        overdue = func.sum(Loan.overdue_amount)
        dpd = func.max(Loan.days_past_due)
        query = (
            select(Customer.id, Customer.risk_score, Customer.campaign_id, overdue, dpd)
            .join(Loan, Loan.customer_id == Customer.id)
            .where(Loan.status == "active", Customer.do_not_call.is_(False), ~pending_promise,
                   self._no_task("overdue_loan", now))
            .group_by(Customer.id, Customer.risk_score, Customer.campaign_id)
            .having(dpd >= max(rules.days_past_due_threshold, 1), overdue >= rules.overdue_amount_threshold,
                    overdue > 0)
            .limit(policy.batch))
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.lock_task_writer()
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            ids = await self._campaign_ids(repo)
            products: dict[int, set[str]] = {}
            for cid, product in (await session.execute(
                    select(Loan.customer_id, Loan.product).where(
                        Loan.customer_id.in_([r[0] for r in rows]), Loan.status == "active"))).all():
                products.setdefault(int(cid), set()).add(product)
            tasks: list[dict[str, Any]] = []
            for cid, risk, campaign_id, amount, days in rows:
                amount = Decimal(amount or 0)
                if not is_past_due(config, overdue_amount=amount, days_past_due=int(days or 0)):
                    continue
                reason = past_due_reason(policy, days_past_due=int(days),
                                         products=tuple(sorted(products.get(int(cid), ()))))
                tasks.append(_rule_task(cid, self._campaign_for(ids, reason, campaign_id), reason, now, priority(
                    config, policy, overdue_amount=amount, days_past_due=int(days), risk=risk)))
            made = await _insert_tasks(session, tasks)
        if made:
            self.ctx.poke()
        return made

    async def _simple(self, reason: str, condition: ColumnElement[bool]) -> int:
        now, config, policy = self.ctx.now(), self.ctx.lists.dialer, self.ctx.policy
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.lock_task_writer()
            rows = (await session.execute(
                select(Customer.id, Customer.risk_score, Customer.campaign_id)
                .where(condition, Customer.do_not_call.is_(False),
                       self._no_task(reason, now, policy.lead_cooldown))
                .order_by(Customer.id).limit(policy.batch))).all()
            if not rows:
                return 0
            ids = await self._campaign_ids(repo)
            await _insert_tasks(session, [
                _rule_task(cid, self._campaign_for(ids, reason, campaign_id), reason, now,
                           priority(config, policy, overdue_amount=0, days_past_due=0, risk=risk))
                for cid, risk, campaign_id in rows])
        self.ctx.poke()
        return len(rows)

    async def new_leads(self) -> int:
        return await self._simple(NEW_LEAD, Customer.status == self.ctx.policy.lead_status)

    async def upgrades(self) -> int:
        policy = self.ctx.policy
        old_enough = self.today(self.ctx.now()) - policy.upgrade_min_loan_age
        seasoned = exists().where(Loan.customer_id == Customer.id, Loan.start_date <= old_enough)
        behind = exists().where(Loan.customer_id == Customer.id, Loan.status == "active",
                                (Loan.days_past_due > 0) | (Loan.overdue_amount > 0))
        not_lead = or_(Customer.status.is_(None), Customer.status != policy.lead_status)
        return await self._simple(UPGRADE_OFFER, and_(seasoned, ~behind, not_lead,
                                                      Customer.risk_score <= policy.upgrade_max_risk))

