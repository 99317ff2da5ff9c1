""""Why am I not dialling?": per campaign, the ready agents, eligible tasks, tasks held by each
compliance rule, calls in progress and the dialer's state.

States: ``stopped`` (the dialer is not running in this process), ``idle: no ready agents``,
``idle: no eligible tasks`` (all are scheduled later or blocked by the gate), ``running``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from dialer.context import DialerContext
from dialer.gate import HISTORY, blocking_rules
from dialer.rules import purpose_of
from domain.compliance import RULE_CODES
from store.dialer_repo import DialerRepository
from store.models import CallTask, Campaign, Customer, TaskStatus

SAMPLE = 300  # eligible tasks checked against the gate per campaign (the best-ranked first)


class StatusReport:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    async def campaign(self, campaign: Campaign, running: bool) -> dict[str, Any]:
        ctx, now = self.ctx, self.ctx.now()
        async with ctx.database.session() as session:
            repo = DialerRepository(session)
            agents = await repo.campaign_agents(campaign.id)
            counts = dict((await session.execute(
                select(CallTask.status, func.count()).where(CallTask.campaign_id == campaign.id)
                .group_by(CallTask.status))).all())
            eligible_q = select(CallTask).where(CallTask.campaign_id == campaign.id,
                                                CallTask.status == TaskStatus.QUEUED,
                                                CallTask.next_eligible_at <= now)
            eligible_total = await session.scalar(select(func.count()).select_from(eligible_q.subquery())) or 0
            sample = (await session.scalars(
                eligible_q.order_by(CallTask.priority.desc()).limit(SAMPLE))).all()
            held = dict((await session.execute(
                select(CallTask.blocked_rule, func.count())
                .where(CallTask.campaign_id == campaign.id, CallTask.status == TaskStatus.QUEUED,
                       CallTask.next_eligible_at > now, CallTask.blocked_rule.is_not(None))
                .group_by(CallTask.blocked_rule))).all())
            customers = {c.id: c for c in (await session.scalars(
                select(Customer).where(Customer.id.in_({t.customer_id for t in sample})))).all()}
            history = await repo.history(list(customers), now - HISTORY)
            blocked_now: Counter[str] = Counter()
            dialable = 0
            for task in sample:
                customer = customers.get(task.customer_id)
                if customer is None:
                    continue
                figures = await repo.figures(customer.id)
                rules = blocking_rules(ctx.pack, customer, history.get(customer.id, []), now=now,
                                       purpose=purpose_of(campaign.code), default_zone=ctx.settings.timezone,
                                       loan_id=figures.loan_id)
                blocked_now.update(rules)
                dialable += not rules
        ready = [a.username for a in agents if a.state == "ready"]
        if not running:
            state = "stopped"
        elif not ready:
            state = "idle: no ready agents"
        elif eligible_total == 0 or dialable == 0:
            state = "idle: no eligible tasks"
        else:
            state = "running"
        by_status = {TaskStatus(k).value if not isinstance(k, TaskStatus) else k.value: int(v)
                     for k, v in counts.items()}
        return {
            "campaign": campaign.code, "state": state, "ready_agents": ready,
            "agents": [{"username": a.username, "state": a.state} for a in agents],
            "eligible_tasks": int(eligible_total), "eligible_checked": len(sample), "dialable_now": dialable,
            "blocked_now": {rule: blocked_now.get(rule, 0) for rule in RULE_CODES},
            "held_by_rule": {str(rule): int(n) for rule, n in held.items()},
            "scheduled_later": by_status.get("queued", 0) - int(eligible_total),
            "previewing": by_status.get("reserved", 0), "calls_in_progress": by_status.get("dialing", 0),
            "waiting_outcome": by_status.get("waiting_outcome", 0), "escalated": by_status.get("escalated", 0),
            "tasks_by_status": by_status,
        }
