"""The account figures the escalation rules read: per customer, active loans' overdue amount and
days past due, broken promises, and the last note with a ``contacted`` disposition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Interaction, Loan, PromiseStatus, PromiseToPay


@dataclass(frozen=True, slots=True)
class AccountRow:
    customer_id: int
    overdue_amount: Decimal
    days_past_due: int
    worst_loan_id: int | None


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


async def accounts_over(session: AsyncSession, *, days: int | None, amount: float | None, limit: int,
                        after: int = 0) -> list[AccountRow]:
    """Customers (ids above ``after``, in id order) whose active loans are at least ``days`` past due
    or owe at least ``amount`` overdue (either may be None: not asked)."""
    total, worst = func.sum(Loan.overdue_amount), func.max(Loan.days_past_due)
    conditions = []
    if days is not None:
        conditions.append(worst >= days)
    if amount is not None:
        conditions.append(total >= amount)
    if not conditions:
        return []
    rows = (await session.execute(
        select(Loan.customer_id, total, worst).where(Loan.status == "active", Loan.customer_id > after)
        .group_by(Loan.customer_id).having(or_(*conditions))
        .order_by(Loan.customer_id).limit(limit))).tuples().all()
    worst_loans = await _worst_loans(session, [r[0] for r in rows])
    return [AccountRow(cid, _money(overdue), int(dpd or 0), worst_loans.get(cid)) for cid, overdue, dpd in rows]


async def account(session: AsyncSession, customer_id: int) -> AccountRow:
    rows = (await session.execute(
        select(func.sum(Loan.overdue_amount), func.max(Loan.days_past_due))
        .where(Loan.status == "active", Loan.customer_id == customer_id))).first()
    overdue, dpd = rows if rows is not None else (None, None)
    worst = await _worst_loans(session, [customer_id])
    return AccountRow(customer_id, _money(overdue), int(dpd or 0), worst.get(customer_id))


async def _worst_loans(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, int]:
    """The active loan with the most days past due (then the most overdue) of each customer."""
    if not customer_ids:
        return {}
    rows = await session.execute(
        select(Loan.customer_id, Loan.id).where(Loan.status == "active", Loan.customer_id.in_(list(customer_ids)))
        .order_by(Loan.customer_id, Loan.days_past_due.desc(), Loan.overdue_amount.desc(), Loan.id))
    worst: dict[int, int] = {}
    for customer_id, loan_id in rows.tuples():
        worst.setdefault(customer_id, loan_id)
    return worst


async def broken_promises(session: AsyncSession, customer_id: int) -> int:
    return int(await session.scalar(
        select(func.count(PromiseToPay.id)).where(PromiseToPay.customer_id == customer_id,
                                                  PromiseToPay.status == PromiseStatus.BROKEN)) or 0)


async def last_contacts(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, datetime]:
    """When each customer was last reached (a note with a ``contacted`` disposition)."""
    if not customer_ids:
        return {}
    rows = await session.execute(
        select(Interaction.customer_id, func.max(Interaction.created_at))
        .where(Interaction.customer_id.in_(list(customer_ids)), Interaction.disposition_status == "contacted")
        .group_by(Interaction.customer_id))
    found: dict[int, datetime] = {}
    for customer_id, at in rows.tuples():
        if at is not None:
            found[customer_id] = at
    return found
