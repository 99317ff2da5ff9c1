"""Loans with their schedule, statement transactions and promises to pay (seeds 000, 002)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, IntPk, Money, Timestamped, utcnow


class Loan(Timestamped, Base):
    __tablename__ = "loans"

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64), unique=True)  # idempotency key from core system
    product: Mapped[str] = mapped_column(String(64))  # product / loan type
    applied_amount: Mapped[Money]
    principal: Mapped[Money]
    interest_amount: Mapped[Money]
    balance: Mapped[Money]
    start_date: Mapped[date]
    end_date: Mapped[date]
    days_past_due: Mapped[int] = mapped_column(default=0)
    overdue_amount: Mapped[Money] = mapped_column(default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(32), default="active")  # active, closed, written_off
    currency: Mapped[str] = mapped_column(String(3))

    installments: Mapped[list[Installment]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="Installment.number"
    )


class Installment(Base):
    """One line of a loan's repayment schedule."""

    __tablename__ = "installments"

    id: Mapped[IntPk]
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    due_date: Mapped[date]
    principal: Mapped[Money]
    interest: Mapped[Money]
    paid_amount: Mapped[Money] = mapped_column(default=Decimal("0"))
    paid_at: Mapped[datetime | None]

    loan: Mapped[Loan] = relationship(back_populates="installments")


class TxnDirection(enum.StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class StatementTransaction(Base):
    """A statement entry: credits (M-Pesa deposit, repayment) and debits (disbursement, fee)."""

    __tablename__ = "statement_transactions"
    __table_args__ = (Index("ix_statement_customer_posted", "customer_id", "posted_at"),)

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id", ondelete="SET NULL"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64), unique=True)
    posted_at: Mapped[datetime]
    direction: Mapped[TxnDirection] = mapped_column(Enum(TxnDirection, native_enum=False, length=8))
    kind: Mapped[str] = mapped_column(String(32))  # mpesa_deposit, repayment, disbursement, loan_fee ...
    amount: Mapped[Money]
    receipt_code: Mapped[str | None] = mapped_column(String(32), index=True)  # M-Pesa receipt
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromiseStatus(enum.StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class PromiseToPay(Timestamped, Base):
    """Seed 002. Tracked to the payment: ``paid_amount`` and the matching transaction."""

    __tablename__ = "promises"
    __table_args__ = (Index("ix_promises_status_due", "status", "due_date"),)

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id", ondelete="SET NULL"))
    amount: Mapped[Money]
    due_date: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PromiseStatus] = mapped_column(
        Enum(PromiseStatus, native_enum=False, length=16), default=PromiseStatus.PENDING
    )
    paid_amount: Mapped[Money] = mapped_column(default=Decimal("0"))
    matched_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_transactions.id", ondelete="SET NULL")
    )
    settled_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="agent", server_default="agent")  # agent, ivr
