"""The C2B confirmation's statements as :class:`~store.hot.HotStatement` objects (PostgreSQL): the
raw store, the account and phone lookups, the customer's context, and the posting, each compiled
once and run on asyncpg directly (``payments/fast_c2b.py`` runs them in one durable transaction).

They write exactly the rows the ORM path writes (``payments/posting.py`` through
``AccountsRepository``): the tests run both, the ORM path on SQLite and this one on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, bindparam, insert, literal, select, true, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from store.hot import HotStatement
from store.models import (
    CallRecord,
    Customer,
    CustomerPhone,
    Interaction,
    Loan,
    MpesaCallback,
    MpesaPayment,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TxnDirection,
    User,
)
from store.models.payments import normalised


def _p(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


STORE_CALLBACK = HotStatement(insert(MpesaCallback).values(
    kind=_p("kind", MpesaCallback.kind), body=_p("body", MpesaCallback.body),
    remote_addr=_p("remote_addr", MpesaCallback.remote_addr), received_at=_p("received_at", MpesaCallback.received_at),
    status="received").returning(MpesaCallback.id))

_ref = bindparam("ref", type_=String())
ACCOUNT_MATCH = HotStatement(union_all(
    select(Customer.id, literal("client_id", String())).where(normalised(Customer.client_id) == _ref),
    select(Loan.customer_id, literal("loan_account", String())).where(normalised(Loan.external_ref) == _ref)))

PHONE_MATCH = HotStatement(select(CustomerPhone.customer_id).where(
    CustomerPhone.e164 == _p("e164", CustomerPhone.e164)).distinct())

_assigned, _agent = aliased(User), aliased(User)
_live = (select(CallRecord.call_id, CallRecord.agent_id)
         .where(CallRecord.customer_id == Customer.id, CallRecord.answered_at.is_not(None),
                CallRecord.ended_at.is_(None), CallRecord.agent_id.is_not(None))
         .order_by(CallRecord.answered_at.desc()).limit(1).lateral("live"))


def with_context(query: Select[Any]) -> Select[Any]:
    """``query`` (with ``customers`` in its FROM) and what a posting needs of the customer: the
    name, the assigned agent's username, and the call they are on now (its id, agent id, username)."""
    return (query.add_columns(Customer.name.label("name"), _assigned.username.label("assigned"), _live.c.call_id,
                              _live.c.agent_id, _agent.username.label("agent"))
            .outerjoin(_assigned, _assigned.id == Customer.assigned_agent_id)
            .outerjoin(_live, true())
            .outerjoin(_agent, _agent.id == _live.c.agent_id))


CUSTOMER_CONTEXT = HotStatement(with_context(select().select_from(Customer))
                                .where(Customer.id == _p("customer_id", Customer.id)))

INSERT_TRANSACTION = HotStatement(pg_insert(StatementTransaction).values(
    customer_id=_p("customer_id", StatementTransaction.customer_id),
    external_ref=_p("receipt", StatementTransaction.external_ref),
    posted_at=_p("paid_at", StatementTransaction.posted_at), direction=TxnDirection.CREDIT, kind="mpesa_deposit",
    amount=_p("amount", StatementTransaction.amount), receipt_code=_p("receipt", StatementTransaction.receipt_code),
    description=_p("description", StatementTransaction.description),
).on_conflict_do_nothing(index_elements=["external_ref"]).returning(StatementTransaction.id))

PENDING_PROMISES = HotStatement(
    select(PromiseToPay.id, PromiseToPay.amount, PromiseToPay.paid_amount)
    .where(PromiseToPay.customer_id == _p("customer_id", PromiseToPay.customer_id),
           PromiseToPay.status == PromiseStatus.PENDING)
    .order_by(PromiseToPay.due_date, PromiseToPay.id).with_for_update())

UPDATE_PROMISE = HotStatement(update(PromiseToPay).where(PromiseToPay.id == _p("promise_id", PromiseToPay.id)).values(
    paid_amount=_p("paid_amount", PromiseToPay.paid_amount), status=_p("status", PromiseToPay.status),
    settled_at=_p("settled_at", PromiseToPay.settled_at),
    matched_transaction_id=_p("transaction_id", PromiseToPay.matched_transaction_id)))

_payment = insert(MpesaPayment).values(
    receipt=_p("receipt", MpesaPayment.receipt), source="c2b", callback_id=_p("callback_id", MpesaPayment.callback_id),
    amount=_p("amount", MpesaPayment.amount), paid_at=_p("paid_at", MpesaPayment.paid_at),
    received_at=_p("now", MpesaPayment.received_at), payer=_p("payer", MpesaPayment.payer),
    msisdn=_p("msisdn", MpesaPayment.msisdn), bill_ref=_p("bill_ref", MpesaPayment.bill_ref), status="posted",
    customer_id=_p("customer_id", MpesaPayment.customer_id), match_how=_p("how", MpesaPayment.match_how),
    match_detail=_p("detail", MpesaPayment.match_detail), candidates=[],
    transaction_id=_p("transaction_id", MpesaPayment.transaction_id), call_id=_p("call_id", MpesaPayment.call_id),
    agent_id=_p("agent_id", MpesaPayment.agent_id)).returning(MpesaPayment.id).cte("payment")
_note = insert(Interaction).values(
    customer_id=_p("customer_id", Interaction.customer_id), channel="mpesa", direction="inbound",
    operator_id=_p("agent_id", Interaction.operator_id), call_id=_p("call_id", Interaction.call_id),
    created_at=_p("now", Interaction.created_at), activity_type="M-Pesa payment", complete=True,
    send_message=False, message_sent=False,  # a CTE's insert gets no Python-side column defaults
    subject=_p("subject", Interaction.subject), comments=_p("comments", Interaction.comments),
).returning(Interaction.id).cte("note")
_mark = update(MpesaCallback).where(MpesaCallback.id == _p("callback_id", MpesaCallback.id)).values(
    status="processed", outcome="posted", reference=_p("receipt", MpesaCallback.reference),
    processed_at=_p("now", MpesaCallback.processed_at)).returning(MpesaCallback.id).cte("mark")
FINISH_POSTING = HotStatement(
    select(_payment.c.id).select_from(_payment.join(_note, true()).outerjoin(_mark, true())))
