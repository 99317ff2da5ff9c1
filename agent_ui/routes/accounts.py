"""Hard data from the lender's core system (loans, statement) and promises to pay.

Loans and transactions are idempotent on ``external_ref``: 201 when stored, 200 with the stored
row when it was already there. A payment is applied to the customer's pending promises and
published as ``PaymentReceived`` once committed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Response, status

from agent_ui import serialize
from agent_ui.access import agent_filter, open_customer
from agent_ui.deps import (
    CurrentUser,
    Id,
    Limit,
    Offset,
    ServicesDep,
    current_user,
    twice_on_conflict,
    unit_of_work,
)
from agent_ui.schemas.accounts import LoanBody, PromiseBody, TransactionBody
from agent_ui.schemas.common import Day
from agent_ui.schemas.records import LoanOut, PostedTransactionOut, PromiseOut, TransactionOut
from agent_ui.schemas.replies import Items, Page
from domain.clock import local_today
from domain.events import PaymentReceived, PromiseRecorded
from domain.validation import promise_due, require
from store.models import PromiseStatus, TxnDirection
from store.repositories.accounts import (
    AccountsRepository,
    InstallmentInput,
    LoanInput,
    PostedTransaction,
    TransactionInput,
)
from store.repositories.assignments import AssignmentRepository
from store.repositories.audit import AuditLog
from store.repositories.records import running_statement

router = APIRouter(tags=["accounts"], dependencies=[Depends(current_user)])


@router.post("/api/customers/{customer_id}/loans", status_code=status.HTTP_201_CREATED,
             response_model=LoanOut)
async def add_loan(customer_id: Id, body: LoanBody, user: CurrentUser, services: ServicesDep,
                   response: Response) -> dict[str, Any]:
    data = LoanInput(
        external_ref=body.external_ref, product=body.product, applied_amount=body.applied_amount,
        principal=body.principal, interest_amount=body.interest_amount, balance=body.balance,
        start_date=body.start_date, end_date=body.end_date,
        currency=body.currency or services.settings.currency,
        days_past_due=body.days_past_due, overdue_amount=body.overdue_amount, status=body.status,
        installments=[InstallmentInput(i.number, i.due_date, i.principal, i.interest, i.paid_amount,
                                       i.paid_at) for i in body.schedule],
    )

    async def store() -> tuple[dict[str, Any], bool]:
        async with unit_of_work(services) as session:
            await open_customer(session, user, customer_id, purpose="write")
            loan, created = await AccountsRepository(session).add_loan(customer_id, data)
            if created:
                AuditLog(session, user.id).record("create", "loan", loan.id, customer_id=customer_id,
                                                  details={"external_ref": loan.external_ref})
            return serialize.loan(loan), created

    result, created = await twice_on_conflict(store)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/api/customers/{customer_id}/loans", response_model=Items[LoanOut])
async def list_loans(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="loans")
        AuditLog(session, user.id).record("read", "loans", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        loans = await AccountsRepository(session).loans(customer_id)
    return {"items": [serialize.loan(loan) for loan in loans]}


@router.post("/api/customers/{customer_id}/transactions", status_code=status.HTTP_201_CREATED,
             response_model=PostedTransactionOut)
async def add_transaction(customer_id: Id, body: TransactionBody, user: CurrentUser,
                          services: ServicesDep, response: Response) -> dict[str, Any]:
    data = TransactionInput(
        external_ref=body.external_ref, posted_at=body.posted_at, direction=TxnDirection(body.direction),
        kind=body.kind, amount=body.amount, receipt_code=body.receipt_code, description=body.description,
        loan_ref=body.loan_ref,
    )

    async def store() -> tuple[dict[str, Any], PostedTransaction]:
        async with unit_of_work(services) as session:
            await open_customer(session, user, customer_id, purpose="write")
            posted = await AccountsRepository(session).add_transaction(customer_id, data)
            if posted.created:
                AuditLog(session, user.id).record(
                    "create", "transaction", posted.txn.id, customer_id=customer_id,
                    details={"external_ref": posted.txn.external_ref,
                             "promises": [p.id for p in posted.promises]})
            names = await serialize.Names.load(session, [p.assignee_id for p in posted.promises])
            return {**serialize.transaction(posted.txn),
                    "applied_to_promises": [serialize.promise(p, names) for p in posted.promises]}, posted

    result, posted = await twice_on_conflict(store)
    if not posted.created:
        response.status_code = status.HTTP_200_OK
    elif posted.is_payment:
        await services.publish(PaymentReceived(customer_id=customer_id, amount=f"{posted.txn.amount:.2f}",
                                               reference=posted.txn.receipt_code or posted.txn.external_ref))
    return result


@router.get("/api/customers/{customer_id}/transactions", response_model=Items[TransactionOut])
async def list_transactions(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="statement")
        AuditLog(session, user.id).record("read", "statement", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        record = await AccountsRepository(session).statement(customer_id)
    return {"items": [serialize.transaction(line.txn, line.running_balance)
                      for line in running_statement(record)]}


@router.post("/api/customers/{customer_id}/promises", status_code=status.HTTP_201_CREATED,
             response_model=PromiseOut)
async def add_promise(customer_id: Id, body: PromiseBody, user: CurrentUser,
                      services: ServicesDep) -> dict[str, Any]:
    require("due_date", promise_due, body.due_date, local_today(services.settings.timezone))
    async with unit_of_work(services) as session:
        await open_customer(session, user, customer_id, purpose="write")
        assignee = user if body.assignee is None else await AssignmentRepository(session).assignee(
            body.assignee, "assignee")
        promise = await AccountsRepository(session).add_promise(
            customer_id, body.amount, body.due_date, assignee_id=assignee.id, created_by_id=user.id,
            notes=body.notes, loan_id=body.loan_id)
        AuditLog(session, user.id).record("create", "promise", promise.id, customer_id=customer_id)
        names = await serialize.Names.load(session, [promise.assignee_id, promise.created_by_id])
        result = serialize.promise(promise, names)
    await services.publish(PromiseRecorded(promise_id=promise.id, customer_id=customer_id,
                                           due_date=promise.due_date))
    return result


@router.get("/api/customers/{customer_id}/promises", response_model=Items[PromiseOut])
async def customer_promises(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="promises")
        AuditLog(session, user.id).record("read", "promises", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        promises = await AccountsRepository(session).promises(customer_id)
        names = await serialize.Names.load(session, [p.assignee_id for p in promises]
                                           + [p.created_by_id for p in promises])
    return {"items": [serialize.promise(p, names) for p in promises]}


@router.get("/api/promises", response_model=Page[PromiseOut])
async def find_promises(user: CurrentUser, services: ServicesDep, status: PromiseStatus | None = None,
                        due: Literal["today"] | Day | None = None,
                        limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Across customers: an agent gets the promises assigned to them or on their customers."""
    due_on = due if isinstance(due, date) else None
    if due == "today":
        due_on = local_today(services.settings.timezone)
    async with unit_of_work(services) as session:
        repo = AccountsRepository(session)
        promises = await repo.find_promises(status=status, due_on=due_on, agent_id=agent_filter(user),
                                            limit=limit, offset=offset)
        names = await serialize.Names.load(session, [p.assignee_id for p in promises]
                                           + [p.created_by_id for p in promises])
    return {"items": [serialize.promise(p, names) for p in promises], "limit": limit, "offset": offset}
