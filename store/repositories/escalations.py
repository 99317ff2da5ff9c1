"""Escalations: raised once per rule and account while open, listed, acted on, counted.

Every change also writes a note (channel ``note``, activity type ``escalation``) in the customer's
history, in the same unit of work, so the record shows what happened and who did it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.errors import NotFound
from store.models import Customer, Escalation, EscalationState, FollowUpTask, Interaction, User

StateFilter = Literal["open", "closed", "all"]
OPEN_STATES = (EscalationState.OPEN, EscalationState.ACKNOWLEDGED)
HISTORY_TYPE = "escalation"  # the activity type of the notes escalations write


@dataclass(frozen=True, slots=True)
class EscalationRow:
    escalation: Escalation
    customer_name: str
    agent: str | None  # the account's agent now
    raised_for: str | None  # the account's agent when it was raised


def open_key(customer_id: int, rule: str) -> str:
    return f"{customer_id}:{rule}"


class EscalationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def raise_(self, *, customer_id: int, rule: str, trigger: str, summary: str,
                     figures: Mapping[str, Any], at: datetime, task_id: int | None = None,
                     rule_label: str | None = None) -> Escalation | None:
        """A new open escalation, or None when one is open for the rule and account, or when this
        trigger already raised one (also if a concurrent worker raises it first)."""
        customer = await self.session.get(Customer, customer_id)
        if customer is None:
            return None
        seen = await self.session.scalar(
            select(Escalation.id).where(Escalation.customer_id == customer_id, Escalation.rule == rule,
                                        or_(Escalation.open_key.is_not(None), Escalation.trigger == trigger))
            .limit(1))
        if seen is not None:
            return None
        row = Escalation(customer_id=customer_id, rule=rule, trigger=trigger[:80],
                         open_key=open_key(customer_id, rule), state=EscalationState.OPEN,
                         summary=summary[:300], figures=dict(figures), raised_at=at,
                         agent_id=customer.assigned_agent_id, task_id=task_id, actions=[], updated_at=at)
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            return None
        self.note(customer_id, None, at, f"Escalated: {summary}"[:200], f"Rule: {rule_label or rule}.", complete=False)
        return row

    def note(self, customer_id: int, operator_id: int | None, at: datetime, subject: str,
             detail: str | None, *, complete: bool = True) -> Interaction:
        row = Interaction(customer_id=customer_id, channel="note", operator_id=operator_id, created_at=at,
                          activity_type=HISTORY_TYPE, subject=subject[:200], detail=detail, complete=complete)
        self.session.add(row)
        return row

    def _query(self) -> Select[Escalation, str, str | None, str | None]:
        now_agent, raised_agent = aliased(User), aliased(User)
        return (select(Escalation, Customer.name, now_agent.username, raised_agent.username)
                .join(Customer, Customer.id == Escalation.customer_id)
                .outerjoin(now_agent, now_agent.id == Customer.assigned_agent_id)
                .outerjoin(raised_agent, raised_agent.id == Escalation.agent_id))

    async def list(self, state: StateFilter = "open", *, rule: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[EscalationRow]:
        """Open ones oldest first (the queue); closed or all newest first."""
        query = self._query()
        if state == "open":
            query = query.where(Escalation.state.in_(OPEN_STATES)).order_by(Escalation.raised_at, Escalation.id)
        else:
            if state == "closed":
                query = query.where(Escalation.state == EscalationState.CLOSED)
            query = query.order_by(Escalation.raised_at.desc(), Escalation.id.desc())
        if rule is not None:
            query = query.where(Escalation.rule == rule)
        rows = await self.session.execute(query.offset(offset).limit(limit))
        return [EscalationRow(*row) for row in rows.tuples()]

    async def row(self, escalation_id: int) -> EscalationRow:
        found = (await self.session.execute(self._query().where(Escalation.id == escalation_id))).first()
        if found is None:
            raise NotFound(f"no escalation {escalation_id}", {"id": str(escalation_id)})
        return EscalationRow(*found)

    async def get_for_update(self, escalation_id: int) -> Escalation:
        row = await self.session.get(Escalation, escalation_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no escalation {escalation_id}", {"id": str(escalation_id)})
        return row

    async def count_open(self) -> int:
        return int(await self.session.scalar(
            select(func.count(Escalation.id)).where(Escalation.state.in_(OPEN_STATES))) or 0)

    def follow_up(self, customer_id: int, assignee_id: int, due_at: datetime, instructions: str | None,
                  interaction_id: int, created_by: int) -> FollowUpTask:
        task = FollowUpTask(customer_id=customer_id, assignee_id=assignee_id, kind="follow_up", due_at=due_at,
                            instructions=instructions, interaction_id=interaction_id, created_by_id=created_by)
        self.session.add(task)
        return task

    async def in_range(self, since: datetime, until: datetime) -> Sequence[Escalation]:
        """Escalations raised in ``[since, until)`` (the report)."""
        rows = await self.session.scalars(
            select(Escalation).where(Escalation.raised_at >= since, Escalation.raised_at < until)
            .order_by(Escalation.raised_at))
        return rows.all()

    async def open_triggers(self, customer_ids: Sequence[int], rules: Sequence[str]) -> set[tuple[int, str, str]]:
        """(customer, rule, trigger) of every escalation of these customers and rules, plus
        (customer, rule, "*") for the open ones: what a scan must not raise again."""
        if not customer_ids:
            return set()
        rows = await self.session.execute(
            select(Escalation.customer_id, Escalation.rule, Escalation.trigger, Escalation.open_key)
            .where(Escalation.customer_id.in_(list(customer_ids)), Escalation.rule.in_(list(rules))))
        found: set[tuple[int, str, str]] = set()
        for customer_id, rule, trigger, key in rows.tuples():
            found.add((customer_id, rule, trigger))
            if key is not None:
                found.add((customer_id, rule, "*"))
        return found
