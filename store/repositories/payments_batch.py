"""The C2B confirmation's statements for a batch (PostgreSQL): many callbacks stored with one
multi-row INSERT, and many confirmations posted in one transaction, each statement taking arrays
(``unnest``) instead of one row, so a batch costs the same ten round trips whatever its size.

They write exactly the rows :mod:`store.repositories.payments_hot` writes for one confirmation
(and so the ORM path's); ``payments/batch_c2b.py`` runs them. :data:`CLAIM` is what keeps two
workers (or two processes) from posting the same callback: a batch locks its callbacks still
``received`` and skips those another transaction holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from store.hot import HotStatement
from store.models import (
    CallRecord,
    Customer,
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

_TYPES: dict[str, Any] = {"int": Integer(), "str": String(), "text": Text(), "money": Numeric(14, 2),
                          "time": DateTime(timezone=True), "bool": Boolean()}


def _array(name: str, kind: str) -> Any:
    return bindparam(name, type_=ARRAY(_TYPES[kind]))


def _rows(name: str, **columns: str) -> Any:
    """``unnest(:a, :b, ...) AS name(a, b, ...)``: one row per position of the array parameters."""
    values = func.unnest(*(_array(key, kind) for key, kind in columns.items()))
    return values.table_valued(*(sql_column(key, _TYPES[kind]) for key, kind in columns.items())).render_derived(
        name=name)


def _const(value: Any, column: Any) -> Any:
    return literal(value, column.type)


STORE_CALLBACKS = HotStatement(text(
    "INSERT INTO mpesa_callbacks (kind, received_at, remote_addr, body, status) "
    "SELECT k, t, r, b, 'received' FROM unnest(CAST(:kinds AS VARCHAR[]), CAST(:times AS TIMESTAMPTZ[]), "
    "CAST(:remotes AS VARCHAR[]), CAST(:bodies AS BYTEA[])) WITH ORDINALITY AS v(k, t, r, b, n) "
    "ORDER BY n RETURNING id").columns(sql_column("id", Integer)))
"""Every callback of a group commit, in the order given: the ids come back in that order (a
serial column, filled in the SELECT's order within one statement)."""

ACCOUNT_MATCHES = HotStatement(
    select(normalised(Customer.client_id), Customer.id, literal("client_id", String()))
    .where(normalised(Customer.client_id) == any_(_array("refs", "str")))
    .union_all(select(normalised(Loan.external_ref), Loan.customer_id, literal("loan_account", String()))
               .where(normalised(Loan.external_ref) == any_(_array("refs", "str")))))

UNPOSTED = HotStatement(
    select(MpesaCallback.id, MpesaCallback.body).where(
        MpesaCallback.kind == "c2b_confirmation", MpesaCallback.status == "received",
        MpesaCallback.id > bindparam("after", type_=Integer()),
        MpesaCallback.received_at < bindparam("before", type_=MpesaCallback.received_at.type))
    .order_by(MpesaCallback.id).limit(bindparam("limit", type_=Integer())))
"""Confirmations stored but never processed (a process died in between), oldest first, after the
id ``after``: what ``C2BService.recover`` posts."""

CLAIM = HotStatement(
    select(MpesaCallback.id).where(MpesaCallback.id == any_(_array("ids", "int")),
                                   MpesaCallback.status.in_(("received", "failed")))
    .with_for_update(skip_locked=True))

_txn = _rows("v", customer_id="int", receipt="str", paid_at="time", amount="money", description="str")
INSERT_TRANSACTIONS = HotStatement(pg_insert(StatementTransaction).from_select(
    ["customer_id", "external_ref", "posted_at", "direction", "kind", "amount", "receipt_code", "description"],
    select(_txn.c.customer_id, _txn.c.receipt, _txn.c.paid_at, _const(TxnDirection.CREDIT,
           StatementTransaction.direction), literal("mpesa_deposit", String()), _txn.c.amount, _txn.c.receipt,
           _txn.c.description)).on_conflict_do_nothing(index_elements=["external_ref"])
    .returning(StatementTransaction.id, StatementTransaction.external_ref))

_assigned, _agent = aliased(User), aliased(User)
_live = (select(CallRecord.call_id, CallRecord.agent_id)
         .where(CallRecord.customer_id == Customer.id, CallRecord.answered_at.is_not(None),
                CallRecord.ended_at.is_(None), CallRecord.agent_id.is_not(None))
         .order_by(CallRecord.answered_at.desc()).limit(1).lateral("live"))
CUSTOMER_CONTEXTS = HotStatement(
    select(Customer.id, Customer.name, _assigned.username, _live.c.call_id, _live.c.agent_id, _agent.username)
    .select_from(Customer)
    .outerjoin(_assigned, _assigned.id == Customer.assigned_agent_id)
    .outerjoin(_live, true())
    .outerjoin(_agent, _agent.id == _live.c.agent_id)
    .where(Customer.id == any_(_array("customer_ids", "int"))))

PENDING_PROMISES = HotStatement(
    select(PromiseToPay.customer_id, PromiseToPay.id, PromiseToPay.amount, PromiseToPay.paid_amount)
    .where(PromiseToPay.customer_id == any_(_array("customer_ids", "int")),
           PromiseToPay.status == PromiseStatus.PENDING)
    .order_by(PromiseToPay.customer_id, PromiseToPay.due_date, PromiseToPay.id).with_for_update())

_share = _rows("v", id="int", paid_amount="money", status="str", settled_at="time", transaction_id="int")
UPDATE_PROMISES = HotStatement(
    update(PromiseToPay).where(PromiseToPay.id == _share.c.id).values(
        paid_amount=_share.c.paid_amount, status=_share.c.status, settled_at=_share.c.settled_at,
        matched_transaction_id=_share.c.transaction_id))

_pay = _rows("v", receipt="str", callback_id="int", amount="money", paid_at="time", payer="str", msisdn="str",
             bill_ref="str", customer_id="int", how="str", detail="str", transaction_id="int", call_id="str",
             agent_id="int", received_at="time")
INSERT_PAYMENTS = HotStatement(insert(MpesaPayment).from_select(
    ["receipt", "source", "callback_id", "amount", "paid_at", "received_at", "payer", "msisdn", "bill_ref", "status",
     "customer_id", "match_how", "match_detail", "candidates", "transaction_id", "call_id", "agent_id"],
    select(_pay.c.receipt, literal("c2b", String()), _pay.c.callback_id, _pay.c.amount, _pay.c.paid_at,
           _pay.c.received_at, _pay.c.payer, _pay.c.msisdn, _pay.c.bill_ref, literal("posted", String()),
           _pay.c.customer_id, _pay.c.how, _pay.c.detail, _const([], MpesaPayment.candidates),
           _pay.c.transaction_id, _pay.c.call_id, _pay.c.agent_id))
    .returning(MpesaPayment.id, MpesaPayment.receipt))

_note = _rows("v", customer_id="int", agent_id="int", call_id="str", created_at="time", subject="str",
              comments="text")
INSERT_NOTES = HotStatement(insert(Interaction).from_select(
    ["customer_id", "channel", "direction", "operator_id", "call_id", "created_at", "activity_type", "complete",
     "send_message", "message_sent", "subject", "comments"],
    select(_note.c.customer_id, literal("mpesa", String()), literal("inbound", String()), _note.c.agent_id,
           _note.c.call_id, _note.c.created_at, literal("M-Pesa payment", String()), literal(True, Boolean()),
           literal(False, Boolean()), literal(False, Boolean()), _note.c.subject, _note.c.comments)))

_mark = _rows("v", id="int", receipt="str")
MARK_POSTED = HotStatement(
    update(MpesaCallback).where(MpesaCallback.id == _mark.c.id).values(
        status="processed", outcome="posted", reference=_mark.c.receipt,
        processed_at=bindparam("now", type_=MpesaCallback.processed_at.type)))
