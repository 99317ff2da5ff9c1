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
from dialer.why import Clock, Facts, explain
from domain.agent_state import AgentState
from domain.compliance import RULE_CODES
from store.models import CallTask, Campaign, CampaignAgent, Customer, TaskStatus, User
from store.repositories.dialer import DialerRepository

SAMPLE = 300  # eligible tasks checked against the gate per campaign (the best-ranked first)


class StatusReport:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    def clock(self) -> Clock:
        return Clock(self.ctx.pack, self.ctx.settings.timezone, self.ctx.now())

    async def agent_queue(self, username: str, campaigns: list[Campaign], running: bool,
                          agent_state: AgentState) -> dict[str, Any]:
        """Why the agent's "Calls to make" is empty: the sum over the agent's own campaigns."""
        async with self.ctx.database.session() as session:
            mine = set((await session.scalars(
                select(CampaignAgent.campaign_id).join(User, User.id == CampaignAgent.user_id)
                .where(User.username == username))).all())
        facts = Facts()
        theirs = [c for c in campaigns if c.id in mine]
        for campaign in theirs:
            facts.merge((await self._facts(campaign))[0])
        return explain(facts, self.clock(), campaigns=len(theirs), running=running,
                       agent_ready=agent_state is AgentState.READY)

    async def campaign(self, campaign: Campaign, running: bool) -> dict[str, Any]:
        facts, report = await self._facts(campaign)
        ready = report["ready_agents"]
        report["why"] = explain(facts, self.clock(), running=running, ready_agents=len(ready))
        if not running:
            report["state"] = "stopped"
        elif not ready:
            report["state"] = "idle: no ready agents"
        elif facts.dialable == 0:
            report["state"] = "idle: no eligible tasks"
        else:
            report["state"] = "running"
        return report

    async def _facts(self, campaign: Campaign) -> tuple[Facts, dict[str, Any]]:
        ctx, now = self.ctx, self.ctx.now()
        facts = Facts()
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
            held_rows = (await session.execute(
                select(CallTask.blocked_rule, func.count(), func.min(CallTask.next_eligible_at))
                .where(CallTask.campaign_id == campaign.id, CallTask.status == TaskStatus.QUEUED,
                       CallTask.next_eligible_at > now, CallTask.blocked_rule.is_not(None))
                .group_by(CallTask.blocked_rule))).all()
            held = {str(rule): int(n) for rule, n, _at in held_rows}
            for rule, n, at in held_rows:
                facts.hold(str(rule), int(n), at)
            facts.next_due_at = await session.scalar(
                select(func.min(CallTask.next_eligible_at))
                .where(CallTask.campaign_id == campaign.id, CallTask.status == TaskStatus.QUEUED,
                       CallTask.next_eligible_at > now))
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
                blocks = blocking_rules(ctx.pack, customer, history.get(customer.id, []), now=now,
                                        purpose=purpose_of(campaign.code), default_zone=ctx.settings.timezone,
                                        loan_id=figures.loan_id)
                blocked_now.update(block.rule for block in blocks)
                for block in blocks:
                    facts.hold(block.rule, 1, block.next_allowed_at)
                dialable += not blocks
        ready = [a.username for a in agents if a.state is AgentState.READY]
        by_status = {TaskStatus(k).value if not isinstance(k, TaskStatus) else k.value: int(v)
                     for k, v in counts.items()}
        facts.due, facts.dialable = int(eligible_total), dialable
        facts.in_progress = by_status.get("dialing", 0)
        return facts, {
            "campaign": campaign.code, "state": "", "ready_agents": ready,
            "agents": [{"username": a.username, "state": a.state} for a in agents],
            "eligible_tasks": int(eligible_total), "eligible_checked": len(sample), "dialable_now": dialable,
            "blocked_now": {rule: blocked_now.get(rule, 0) for rule in RULE_CODES},
            "held_by_rule": held,
            "scheduled_later": by_status.get("queued", 0) - int(eligible_total),
            "previewing": by_status.get("reserved", 0), "calls_in_progress": by_status.get("dialing", 0),
            "waiting_outcome": by_status.get("waiting_outcome", 0), "escalated": by_status.get("escalated", 0),
            "tasks_by_status": by_status,
        }
