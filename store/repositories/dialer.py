"""Store reads and writes of the dialer: campaigns and their agents, numbers, attempts, tasks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.agent_state import AgentState
from store.models import (
    AgentPresence,
    AttemptState,
    CallTask,
    Campaign,
    CampaignAgent,
    Customer,
    DialAttempt,
    Loan,
    StatementTransaction,
    TaskStatus,
    TxnDirection,
    User,
)
from store.repositories.accounts import NON_PAYMENT_CREDITS

OPEN_STATUSES = (TaskStatus.QUEUED, TaskStatus.RESERVED, TaskStatus.DIALING, TaskStatus.WAITING_OUTCOME)
BUSY_STATUSES = (TaskStatus.RESERVED, TaskStatus.DIALING)
LIVE_ATTEMPTS = (AttemptState.REQUESTED, AttemptState.SENT, AttemptState.UNKNOWN)
_GENERATOR_LOCK = 0x5B0D1A1  # pg_advisory_xact_lock key: one task writer at a time per cluster


@dataclass(frozen=True, slots=True)
class NumberOption:
    """A number the agent may pick (seed 000's Action): whose it is, and who that is."""

    number: str
    relation: str  # customer, guarantor, relationship_officer, alternative_contact
    name: str
    contact_id: int | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AgentRow:
    user_id: int
    username: str
    extension: str
    state: AgentState


@dataclass(frozen=True, slots=True)
class AccountFigures:
    overdue_amount: Decimal
    days_past_due: int
    loan_id: int | None  # the loan with the most overdue (the debt a per-debt limit counts)
    products: tuple[str, ...]


def _figures(loans: Sequence[Loan]) -> AccountFigures:
    worst = max(loans, key=lambda loan: (loan.overdue_amount, loan.days_past_due), default=None)
    return AccountFigures(
        overdue_amount=sum((loan.overdue_amount for loan in loans), Decimal("0")),
        days_past_due=max((loan.days_past_due for loan in loans), default=0),
        loan_id=worst.id if worst is not None and worst.overdue_amount > 0 else None,
        products=tuple(sorted({loan.product for loan in loans})))


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class DialerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.session)

    async def begin_write(self) -> None:
        """SQLite: take the single write lock now, before this transaction reads anything.

        The SQLite driver opens a transaction only at the first write, so a read-then-write would
        otherwise read outside it and could lose an update; a write that matches no row takes the
        lock (others wait on ``busy_timeout``). PostgreSQL uses row locks (``FOR UPDATE``) instead.
        """
        if not self.is_postgres:
            await self.session.execute(text("UPDATE call_tasks SET id = id WHERE 1 = 0"))

    async def lock_task_writer(self) -> None:
        """Serialise task creation across workers (dedupe per customer and reason family).

        PostgreSQL: a transaction-scoped advisory lock. SQLite: the single write lock.
        """
        if self.is_postgres:
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GENERATOR_LOCK})
        else:
            await self.begin_write()

    # --- campaigns and agents ---------------------------------------------------------------------

    async def ensure_campaigns(self, campaigns: Iterable[tuple[str, str, str, str]]) -> dict[str, Campaign]:
        """Campaign rows for (code, label, carrier, queue) from dialer.yaml, created when missing."""
        rows = {c.code: c for c in (await self.session.scalars(select(Campaign))).all()}
        for code, label, carrier, queue in campaigns:
            if code not in rows:
                rows[code] = Campaign(code=code, name=label, carrier=carrier, queue=queue)
                self.session.add(rows[code])
        await self.session.flush()
        return rows

    async def campaign_agents(self, campaign_id: int) -> list[AgentRow]:
        rows = await self.session.execute(
            select(User.id, User.username, User.extension,
                   func.coalesce(AgentPresence.state, AgentState.LOGGED_OUT.value))
            .join(CampaignAgent, CampaignAgent.user_id == User.id)
            .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
            .where(CampaignAgent.campaign_id == campaign_id, User.active.is_(True),
                   User.extension.is_not(None))
            .order_by(AgentPresence.last_call_ended_at.asc().nulls_first(), User.id))
        return [AgentRow(int(uid), name, str(ext), AgentState(state)) for uid, name, ext, state in rows.all()]

    async def busy_agents(self) -> dict[int, int]:
        """Agent id -> the task they hold in preview or while it dials."""
        rows = await self.session.execute(
            select(CallTask.reserved_by_id, CallTask.id)
            .where(CallTask.status.in_(BUSY_STATUSES), CallTask.reserved_by_id.is_not(None)))
        return {int(agent): int(task) for agent, task in rows.all() if agent is not None}

    async def presence_state(self, user_id: int) -> AgentState:
        state = await self.session.scalar(select(AgentPresence.state).where(AgentPresence.user_id == user_id))
        return AgentState(state or AgentState.LOGGED_OUT)

    async def user_by_name(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    # --- customers ----------------------------------------------------------------------------------

    async def customer(self, customer_id: int) -> Customer | None:
        return await self.session.scalar(
            select(Customer).where(Customer.id == customer_id)
            .options(selectinload(Customer.phones), selectinload(Customer.contacts)))

    @staticmethod
    def numbers(customer: Customer) -> list[NumberOption]:
        """The customer's own numbers first, then guarantors, the officer and alternative contacts."""
        options = [NumberOption(p.e164, "customer", customer.name, None, p.label) for p in customer.phones]
        order = {"guarantor": 0, "relationship_officer": 1, "alternative_contact": 2}
        for contact in sorted(customer.live_contacts, key=lambda c: (order.get(c.relation.value, 3), c.id)):
            options.append(NumberOption(contact.phone_e164, contact.relation.value, contact.name, contact.id,
                                        contact.relationship_label))
        return options

    async def figures(self, customer_id: int) -> AccountFigures:
        return (await self.figures_many([customer_id]))[customer_id]

    async def figures_many(self, customer_ids: Sequence[int]) -> dict[int, AccountFigures]:
        """Each customer's figures over their active loans (one statement for them all)."""
        loans: dict[int, list[Loan]] = {cid: [] for cid in customer_ids}
        if customer_ids:
            for loan in (await self.session.scalars(select(Loan).where(
                    Loan.customer_id.in_(list(customer_ids)), Loan.status == "active"))).all():
                loans[loan.customer_id].append(loan)
        return {cid: _figures(held) for cid, held in loans.items()}

    # --- attempts -------------------------------------------------------------------------------------

    async def history(self, customer_ids: Sequence[int], since: datetime) -> dict[int, list[DialAttempt]]:
        """Attempts that may have reached each customer since ``since`` (not_sent ones never did)."""
        by_customer: dict[int, list[DialAttempt]] = {cid: [] for cid in customer_ids}
        if not customer_ids:
            return by_customer
        rows = await self.session.scalars(
            select(DialAttempt).where(DialAttempt.customer_id.in_(list(customer_ids)),
                                      DialAttempt.requested_at >= since,
                                      DialAttempt.state != AttemptState.NOT_SENT))
        for attempt in rows.all():
            by_customer.setdefault(attempt.customer_id, []).append(attempt)
        return by_customer

    async def number_history(self, number: str, since: datetime) -> list[DialAttempt]:
        rows = await self.session.scalars(
            select(DialAttempt).where(DialAttempt.number_e164 == number, DialAttempt.requested_at >= since,
                                      DialAttempt.state != AttemptState.NOT_SENT))
        return list(rows.all())

    async def attempt(self, attempt_id: str, *, for_update: bool = False) -> DialAttempt | None:
        query = select(DialAttempt).where(DialAttempt.id == attempt_id)
        if for_update and self.is_postgres:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def task_attempts(self, task_id: int) -> list[DialAttempt]:
        rows = await self.session.scalars(
            select(DialAttempt).where(DialAttempt.task_id == task_id)
            .order_by(DialAttempt.requested_at, DialAttempt.id))
        return list(rows.all())

    async def live_attempt_of(self, agent_id: int) -> DialAttempt | None:
        return await self.session.scalar(
            select(DialAttempt).where(DialAttempt.agent_id == agent_id, DialAttempt.state.in_(LIVE_ATTEMPTS),
                                      DialAttempt.ended_at.is_(None))
            .order_by(DialAttempt.requested_at.desc()).limit(1))

    # --- tasks ------------------------------------------------------------------------------------------

    async def task(self, task_id: int, *, for_update: bool = False) -> CallTask | None:
        query = select(CallTask).where(CallTask.id == task_id)
        if for_update and self.is_postgres:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def waiting_tasks(self, customer_ids: Sequence[int], statuses: Iterable[TaskStatus],
                            reasons: Iterable[str]) -> list[CallTask]:
        """The customers' tasks in ``statuses`` for ``reasons``, by customer then id."""
        if not customer_ids:
            return []
        return list((await self.session.scalars(select(CallTask).where(
            CallTask.customer_id.in_(list(customer_ids)), CallTask.status.in_(list(statuses)),
            CallTask.reason.in_(list(reasons))).order_by(CallTask.customer_id, CallTask.id))).all())

    async def credits_since_created(self, task_ids: Sequence[int]) -> dict[int, Decimal]:
        """For each task, the customer's payments (credits that are not waivers, write-offs...)
        recorded since the task was created; 0 for a task with none."""
        paid = {task_id: Decimal(0) for task_id in task_ids}
        if not task_ids:
            return paid
        txn = StatementTransaction
        rows = await self.session.execute(
            select(CallTask.id, func.sum(txn.amount)).join(txn, and_(
                txn.customer_id == CallTask.customer_id, txn.direction == TxnDirection.CREDIT,
                txn.kind.not_in(sorted(NON_PAYMENT_CREDITS)), txn.created_at >= CallTask.created_at))
            .where(CallTask.id.in_(list(task_ids))).group_by(CallTask.id))
        for task_id, total in rows.all():
            paid[task_id] = Decimal(total or 0)
        return paid

    async def open_tasks(self, customer_id: int, reasons: Iterable[str] | None = None) -> list[CallTask]:
        query = select(CallTask).where(CallTask.customer_id == customer_id,
                                       CallTask.status.in_(OPEN_STATUSES))
        if reasons is not None:
            query = query.where(CallTask.reason.in_(list(reasons)))
        return list((await self.session.scalars(query.order_by(CallTask.id))).all())

    async def lock_customer(self, customer_id: int) -> None:
        """Serialise dials to one customer (the gate's history must include the dial beside it).

        A no-op UPDATE: a row lock on PostgreSQL; on SQLite it takes the single write lock before any
        read of this transaction, so the history read after it is the latest.
        """
        await self.session.execute(text("UPDATE customers SET id = id WHERE id = :id"), {"id": customer_id})
