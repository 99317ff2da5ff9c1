"""Seed 003 supervisor reports: agent activity and performance, outstanding debt and collection efficiency.

Both take a UTC window ``[since, until)`` (local days turned into UTC by the caller) and return one
row per agent or group, money as :class:`~decimal.Decimal` and rates as ratios (``None`` when there
is nothing to divide).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    CallRecord,
    Campaign,
    Customer,
    Loan,
    PromiseStatus,
    PromiseToPay,
    Role,
    StatementTransaction,
    TxnDirection,
    User,
)

CollectionsBy = Literal["campaign", "agent"]
COLLECTED_KINDS = ("repayment", "mpesa_deposit")
NO_GROUP = {"campaign": "(no campaign)", "agent": "(unassigned)"}
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    calls: int
    talk_seconds: int
    promises: int
    kept: int
    broken: int

    @property
    def kept_rate(self) -> float | None:
        """Kept / (kept + broken) of the promises the agent took; pending and cancelled ones do not count."""
        settled = self.kept + self.broken
        return None if settled == 0 else round(self.kept / settled, 4)


@dataclass(frozen=True, slots=True)
class CollectionRow:
    group: str
    outstanding: Decimal
    overdue: Decimal
    collected: Decimal

    @property
    def efficiency(self) -> float | None:
        """Collected / (collected + overdue): what came in against what is still late; None when
        nothing is overdue (a group with no arrears has no efficiency to show, not 100%)."""
        if self.overdue == 0:
            return None
        return round(float(self.collected / (self.collected + self.overdue)), 4)


def _money(value: Decimal | float | int | None) -> Decimal:
    """Sums come back as Decimal (PostgreSQL) or float (SQLite): both to cents."""
    if value is None:
        return _ZERO
    return Decimal(str(value)).quantize(_CENT)


async def _usernames(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


async def agents_report(session: AsyncSession, since: datetime, until: datetime) -> list[AgentRow]:
    """Every active agent (idle ones too, with zeros) and anyone else with calls or promises in range.

    Calls are those offered in range with the agent on them; promises are those the agent created in range.
    """
    calls = await session.execute(
        select(CallRecord.agent_id, func.count(CallRecord.id), func.coalesce(func.sum(CallRecord.talk_seconds), 0))
        .where(CallRecord.agent_id.is_not(None), CallRecord.offered_at >= since, CallRecord.offered_at < until)
        .group_by(CallRecord.agent_id))
    by_calls: dict[int, tuple[int, int]] = {
        agent_id: (int(count), int(talk or 0)) for agent_id, count, talk in calls.tuples() if agent_id is not None}

    def counted(status: PromiseStatus) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((PromiseToPay.status == status, 1), else_=0)), 0)

    promises = await session.execute(
        select(PromiseToPay.created_by_id, func.count(PromiseToPay.id),
               counted(PromiseStatus.KEPT), counted(PromiseStatus.BROKEN))
        .where(PromiseToPay.created_by_id.is_not(None), PromiseToPay.created_at >= since,
               PromiseToPay.created_at < until)
        .group_by(PromiseToPay.created_by_id))
    by_promises: dict[int, tuple[int, int, int]] = {
        user_id: (int(n), int(kept), int(broken)) for user_id, n, kept, broken in promises.tuples()
        if user_id is not None}

    agents = await session.scalars(select(User.id).where(User.role == Role.AGENT, User.active.is_(True)))
    names = await _usernames(session, set(agents.all()) | set(by_calls) | set(by_promises))
    rows = [AgentRow(name, *by_calls.get(user_id, (0, 0)), *by_promises.get(user_id, (0, 0, 0)))
            for user_id, name in names.items()]
    return sorted(rows, key=lambda r: r.agent)


async def collections_report(session: AsyncSession, since: datetime, until: datetime,
                             by: CollectionsBy = "campaign") -> list[CollectionRow]:
    """Per campaign (or assigned agent) of the customer: active loans' balance and overdue amount now,
    and credits of kind repayment / mpesa_deposit posted in ``[since, until)``."""
    key = Customer.campaign_id if by == "campaign" else Customer.assigned_agent_id
    loans = await session.execute(
        select(key, func.sum(Loan.balance), func.sum(Loan.overdue_amount))
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.status == "active")
        .group_by(key))
    debt: dict[int | None, tuple[Decimal, Decimal]] = {
        group: (_money(balance), _money(overdue)) for group, balance, overdue in loans.tuples()}
    credits = await session.execute(
        select(key, func.sum(StatementTransaction.amount))
        .join(Customer, Customer.id == StatementTransaction.customer_id)
        .where(StatementTransaction.direction == TxnDirection.CREDIT,
               StatementTransaction.kind.in_(COLLECTED_KINDS),
               StatementTransaction.posted_at >= since, StatementTransaction.posted_at < until)
        .group_by(key))
    collected: dict[int | None, Decimal] = {group: _money(amount) for group, amount in credits.tuples()}

    ids = {g for g in set(debt) | set(collected) if g is not None}
    if by == "campaign":
        found = await session.execute(select(Campaign.id, Campaign.code).where(Campaign.id.in_(ids)))
        labels = dict(found.tuples().all())
    else:
        labels = await _usernames(session, ids)
    rows = [CollectionRow(labels.get(g, str(g)) if g is not None else NO_GROUP[by],
                          *debt.get(g, (_ZERO, _ZERO)), collected.get(g, _ZERO))
            for g in set(debt) | set(collected)]
    return sorted(rows, key=lambda r: r.group)
