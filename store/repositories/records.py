"""The whole customer record in one read: summary, loans, statement, contacts, history and work."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.models import (
    Attachment,
    Customer,
    FollowUpTask,
    Interaction,
    Loan,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TxnDirection,
)

HISTORY_LIMIT = 200  # newest interactions in the record; older ones through the interactions list


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A statement entry with the balance after it (credits minus debits, oldest first)."""

    txn: StatementTransaction
    running_balance: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    overdue_amount: Decimal
    days_past_due: int
    total_balance: Decimal
    open_promise: PromiseToPay | None
    last_interaction: Interaction | None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    customer: Customer
    summary: Summary
    loans: list[Loan] = field(default_factory=list)
    statement: list[StatementLine] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    promises: list[PromiseToPay] = field(default_factory=list)
    open_tasks: list[FollowUpTask] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def running_statement(txns: list[StatementTransaction]) -> list[StatementLine]:
    balance = Decimal("0")
    lines: list[StatementLine] = []
    for txn in txns:
        balance += txn.amount if txn.direction == TxnDirection.CREDIT else -txn.amount
        lines.append(StatementLine(txn=txn, running_balance=balance))
    return lines


def summarise(loans: list[Loan], promises: list[PromiseToPay], interactions: list[Interaction]) -> Summary:
    live = [loan for loan in loans if loan.status == "active"] or loans
    pending = sorted((p for p in promises if p.status == PromiseStatus.PENDING), key=lambda p: p.due_date)
    return Summary(
        overdue_amount=sum((loan.overdue_amount for loan in live), Decimal("0")),
        days_past_due=max((loan.days_past_due for loan in live), default=0),
        total_balance=sum((loan.balance for loan in live), Decimal("0")),
        open_promise=pending[0] if pending else None,
        last_interaction=interactions[0] if interactions else None,
    )


async def load_record(session: AsyncSession, customer: Customer) -> CustomerRecord:
    """``customer`` must have phones, serials and contacts loaded."""
    cid = customer.id
    loans = list((await session.scalars(
        select(Loan).where(Loan.customer_id == cid).options(selectinload(Loan.installments))
        .order_by(Loan.start_date, Loan.id))).all())
    txns = list((await session.scalars(
        select(StatementTransaction).where(StatementTransaction.customer_id == cid)
        .order_by(StatementTransaction.posted_at, StatementTransaction.id))).all())
    interactions = list((await session.scalars(
        select(Interaction).where(Interaction.customer_id == cid)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(HISTORY_LIMIT))).all())
    promises = list((await session.scalars(
        select(PromiseToPay).where(PromiseToPay.customer_id == cid)
        .order_by(PromiseToPay.due_date.desc(), PromiseToPay.id.desc()))).all())
    tasks = list((await session.scalars(
        select(FollowUpTask).where(FollowUpTask.customer_id == cid, FollowUpTask.done.is_(False))
        .order_by(FollowUpTask.due_at, FollowUpTask.id))).all())
    attachments = list((await session.scalars(
        select(Attachment).where(Attachment.customer_id == cid)
        .order_by(Attachment.created_at, Attachment.id))).all())
    return CustomerRecord(
        customer=customer, summary=summarise(loans, promises, interactions), loans=loans,
        statement=running_statement(txns), interactions=interactions, promises=promises,
        open_tasks=tasks, attachments=attachments,
    )
