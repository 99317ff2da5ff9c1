"""Bodies a lender's core system pushes (loans with schedules, statement entries) and promises."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from agent_ui.schemas.common import Body, Day, DbId, LongText, Money, PositiveMoney, Str32, Str64, Str200, UtcTime


class InstallmentBody(Body):
    number: int = Field(ge=1, le=10_000)
    due_date: Day
    principal: Money
    interest: Money = Decimal("0")
    paid_amount: Money = Decimal("0")
    paid_at: UtcTime | None = None


class LoanBody(Body):
    external_ref: Str64 = Field(min_length=1)
    product: Str64 = Field(min_length=1)
    applied_amount: Money
    principal: Money
    interest_amount: Money = Decimal("0")
    balance: Money
    start_date: Day
    end_date: Day
    days_past_due: int = Field(default=0, ge=0, le=100_000)
    overdue_amount: Money = Decimal("0")
    status: Literal["active", "closed", "written_off"] = "active"
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    schedule: list[InstallmentBody] = Field(default_factory=list, max_length=2000)


class TransactionBody(Body):
    external_ref: Str64 = Field(min_length=1)
    posted_at: UtcTime
    direction: Literal["credit", "debit"]
    kind: Str32 = Field(min_length=1)  # mpesa_deposit, repayment, disbursement, loan_fee ...
    amount: PositiveMoney
    receipt_code: Str32 | None = None  # M-Pesa receipt
    description: Str200 | None = None
    loan_ref: Str64 | None = None  # the loan's external_ref


class PromiseBody(Body):
    amount: PositiveMoney
    due_date: Day  # today to a year ahead (domain.validation.promise_due)
    assignee: Str64 | None = None  # username; default: the caller
    notes: LongText | None = None
    loan_id: DbId | None = None
