"""Loans with schedules, statement transactions and promises to pay, pushed by a lender's core system.

Loans and transactions carry the core system's ``external_ref``: re-sending one returns the row
already stored (``created`` False) instead of adding a duplicate. A credit that pays money is applied
to the customer's pending promises, oldest due first, so each promise is tracked to the payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.errors import Conflict, InvalidInput
from store.models import (
    Customer,
    Installment,
    Loan,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TxnDirection,
)

# Credits that move a balance without money arriving; every other credit is a payment.
NON_PAYMENT_CREDITS = frozenset({"waiver", "write_off", "adjustment", "reversal", "interest_waiver"})


@dataclass(frozen=True, slots=True)
class InstallmentInput:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal = Decimal("0")
    paid_amount: Decimal = Decimal("0")
    paid_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoanInput:
    external_ref: str
    product: str
    applied_amount: Decimal
    principal: Decimal
    interest_amount: Decimal
    balance: Decimal
    start_date: date
    end_date: date
    currency: str
    days_past_due: int = 0
    overdue_amount: Decimal = Decimal("0")
    status: str = "active"
    installments: Sequence[InstallmentInput] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class TransactionInput:
    external_ref: str
    posted_at: datetime
    direction: TxnDirection
    kind: str
    amount: Decimal
    receipt_code: str | None = None
    description: str | None = None
    loan_ref: str | None = None  # the loan's external_ref, when the entry belongs to one


@dataclass(frozen=True, slots=True)
class PostedTransaction:
    txn: StatementTransaction
    created: bool
    promises: list[PromiseToPay]  # the promises this payment was applied to (empty on a re-send)

    @property
    def is_payment(self) -> bool:
        return self.txn.direction == TxnDirection.CREDIT and self.txn.kind not in NON_PAYMENT_CREDITS


class AccountsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- loans ------------------------------------------------------------------------------------

    async def add_loan(self, customer_id: int, data: LoanInput) -> tuple[Loan, bool]:
        """The loan and whether it was created (False: this external_ref was already stored)."""
        existing = await self.session.scalar(
            select(Loan).where(Loan.external_ref == data.external_ref)
            .options(selectinload(Loan.installments)))
        if existing is not None:
            if existing.customer_id != customer_id:
                raise Conflict("external_ref belongs to another customer's loan",
                               {"external_ref": "already used for another customer"})
            return existing, False
        if data.end_date < data.start_date:
            raise InvalidInput("end_date before start_date", {"end_date": "must not be before start_date"})
        numbers = [i.number for i in data.installments]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput("duplicate installment numbers", {"installments": "numbers must be unique"})
        loan = Loan(
            customer_id=customer_id, external_ref=data.external_ref, product=data.product,
            applied_amount=data.applied_amount, principal=data.principal,
            interest_amount=data.interest_amount, balance=data.balance, start_date=data.start_date,
            end_date=data.end_date, days_past_due=data.days_past_due, overdue_amount=data.overdue_amount,
            status=data.status, currency=data.currency,
        )
        loan.installments = [
            Installment(number=i.number, due_date=i.due_date, principal=i.principal, interest=i.interest,
                        paid_amount=i.paid_amount, paid_at=i.paid_at)
            for i in sorted(data.installments, key=lambda i: i.number)
        ]
        self.session.add(loan)
        await self.session.flush()
        return loan, True

    async def loans(self, customer_id: int) -> list[Loan]:
        rows = await self.session.scalars(
            select(Loan).where(Loan.customer_id == customer_id)
            .options(selectinload(Loan.installments)).order_by(Loan.start_date, Loan.id))
        return list(rows.all())

    # --- statement --------------------------------------------------------------------------------

    async def add_transaction(self, customer_id: int, data: TransactionInput) -> PostedTransaction:
        existing = await self.session.scalar(
            select(StatementTransaction).where(StatementTransaction.external_ref == data.external_ref))
        if existing is not None:
            if existing.customer_id != customer_id:
                raise Conflict("external_ref belongs to another customer's transaction",
                               {"external_ref": "already used for another customer"})
            return PostedTransaction(existing, created=False, promises=[])
        loan_id: int | None = None
        if data.loan_ref is not None:
            loan_id = await self.session.scalar(select(Loan.id).where(
                Loan.external_ref == data.loan_ref, Loan.customer_id == customer_id))
            if loan_id is None:
                raise InvalidInput("unknown loan", {"loan_ref": "no loan of this customer has it"})
        txn = StatementTransaction(
            customer_id=customer_id, loan_id=loan_id, external_ref=data.external_ref,
            posted_at=data.posted_at, direction=data.direction, kind=data.kind, amount=data.amount,
            receipt_code=data.receipt_code, description=data.description,
        )
        self.session.add(txn)
        await self.session.flush()
        posted = PostedTransaction(txn, created=True, promises=[])
        if posted.is_payment and txn.amount > 0:
            posted.promises.extend(await self._apply_to_promises(customer_id, txn))
        return posted

    async def _apply_to_promises(self, customer_id: int, txn: StatementTransaction) -> list[PromiseToPay]:
        pending = await self.session.scalars(
            select(PromiseToPay).where(PromiseToPay.customer_id == customer_id,
                                       PromiseToPay.status == PromiseStatus.PENDING)
            .order_by(PromiseToPay.due_date, PromiseToPay.id).with_for_update())
        remaining = txn.amount
        touched: list[PromiseToPay] = []
        for promise in pending:
            if remaining <= 0:
                break
            take = min(promise.amount - promise.paid_amount, remaining)
            if take <= 0:
                continue
            promise.paid_amount += take
            promise.matched_transaction_id = txn.id
            remaining -= take
            if promise.paid_amount >= promise.amount:
                promise.status = PromiseStatus.KEPT
                promise.settled_at = txn.posted_at
            touched.append(promise)
        await self.session.flush()
        return touched

    async def statement(self, customer_id: int) -> list[StatementTransaction]:
        rows = await self.session.scalars(
            select(StatementTransaction).where(StatementTransaction.customer_id == customer_id)
            .order_by(StatementTransaction.posted_at, StatementTransaction.id))
        return list(rows.all())

    # --- promises to pay --------------------------------------------------------------------------

    async def add_promise(self, customer_id: int, amount: Decimal, due_date: date, *,
                          assignee_id: int | None, created_by_id: int | None, notes: str | None = None,
                          loan_id: int | None = None, interaction_id: int | None = None) -> PromiseToPay:
        if amount <= 0:
            raise InvalidInput("amount must be positive", {"amount": "must be greater than 0"})
        if loan_id is not None and await self.session.scalar(
                select(Loan.id).where(Loan.id == loan_id, Loan.customer_id == customer_id)) is None:
            raise InvalidInput("unknown loan", {"loan_id": "not a loan of this customer"})
        promise = PromiseToPay(customer_id=customer_id, amount=amount, due_date=due_date,
                               assignee_id=assignee_id, created_by_id=created_by_id, notes=notes,
                               loan_id=loan_id, interaction_id=interaction_id)
        self.session.add(promise)
        await self.session.flush()
        return promise

    async def promises(self, customer_id: int) -> list[PromiseToPay]:
        rows = await self.session.scalars(
            select(PromiseToPay).where(PromiseToPay.customer_id == customer_id)
            .order_by(PromiseToPay.due_date.desc(), PromiseToPay.id.desc()))
        return list(rows.all())

    async def find_promises(self, *, status: PromiseStatus | None, due_on: date | None,
                            agent_id: int | None, limit: int, offset: int) -> list[PromiseToPay]:
        """Promises across customers; ``agent_id`` keeps those assigned to, or whose customer is
        assigned to, that agent."""
        query: Select[PromiseToPay] = select(PromiseToPay)
        if status is not None:
            query = query.where(PromiseToPay.status == status)
        if due_on is not None:
            query = query.where(PromiseToPay.due_date == due_on)
        if agent_id is not None:
            mine = select(Customer.id).where(Customer.assigned_agent_id == agent_id)
            query = query.where((PromiseToPay.assignee_id == agent_id) | PromiseToPay.customer_id.in_(mine))
        rows = await self.session.scalars(
            query.order_by(PromiseToPay.due_date, PromiseToPay.id).offset(offset).limit(limit))
        return list(rows.all())
