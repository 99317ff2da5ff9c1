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

from store.hot import HotStatement
from store.models import (
    Customer,
    Interaction,
    Loan,
    MpesaCallback,
    MpesaPayment,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TxnDirection,
)
from store.models.payments import normalised
from store.repositories.payments_hot import with_context

_TYPES: dict[str, Any] = {"int": Integer(), "str": String(), "text": Text(), "money": Numeric(14, 2),
                          "time": DateTime(timezone=True), "bool": Boolean()}


def _array(name: str, kind: str) -> Any:
    return bindparam(name, type_=ARRAY(_TYPES[kind]))


def _rows(name: str, prefix: str = "", **columns: str) -> Any:
    """``unnest(:a, :b, ...) AS name(a, b, ...)``: one row per position of the array parameters
    (named ``prefix`` + column, so that several of them can share a statement)."""
    values = func.unnest(*(_array(prefix + key, kind) for key, kind in columns.items()))
    return values.table_valued(*(sql_column(key, _TYPES[kind]) for key, kind in columns.items())).render_derived(
        name=name)


def _const(value: Any, column: Any) -> Any:
    return literal(value, column.type)


_STORE_SQL = (
    "INSERT INTO mpesa_callbacks (kind, received_at, remote_addr, body, status) "
    "SELECT k, t, r, b, 'received' FROM unnest(CAST(:kinds AS VARCHAR[]), CAST(:times AS TIMESTAMPTZ[]), "
    "CAST(:remotes AS VARCHAR[]), CAST(:bodies AS BYTEA[])) WITH ORDINALITY AS v(k, t, r, b, n) "
    "ORDER BY n RETURNING id")
STORE_CALLBACKS = HotStatement(text(_STORE_SQL).columns(sql_column("id", Integer)))
"""Every callback of a group commit, in the order given: the ids come back in that order (a
serial column, filled in the SELECT's order within one statement)."""

_matches = (select(normalised(Customer.client_id).label("ref"), Customer.id.label("customer_id"),
                   literal("client_id", String()).label("how"))
            .where(normalised(Customer.client_id) == any_(_array("refs", "str")))
            .union_all(select(normalised(Loan.external_ref), Loan.customer_id, literal("loan_account", String()))
                       .where(normalised(Loan.external_ref) == any_(_array("refs", "str")))).subquery("m"))
_matched = with_context(select(_matches.c.ref, _matches.c.customer_id, _matches.c.how).select_from(_matches)
                        .join(Customer, Customer.id == _matches.c.customer_id))
ACCOUNT_MATCHES = HotStatement(_matched)
"""Each customer an account number names (by client ID or loan account), with what the posting
needs of them: the name, the assigned agent, and the call they are on now (its id and agent)."""

_stored = text(_STORE_SQL).columns(sql_column("id", Integer)).cte("stored")
_ids = select(func.array_agg(_stored.c.id, type_=ARRAY(Integer())).label("ids")).subquery("ids")
_found = _matched.subquery("found")
STORE_AND_MATCH = HotStatement(select(_ids.c.ids, *_found.c).select_from(_ids.outerjoin(_found, true())))
""":data:`STORE_CALLBACKS` and :data:`ACCOUNT_MATCHES` in one round trip: each row is the stored
callbacks' ids (in any order) and one match, or ``None``s when nothing matches."""

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

PENDING_PROMISES = HotStatement(
    select(PromiseToPay.customer_id, PromiseToPay.id, PromiseToPay.amount, PromiseToPay.paid_amount)
    .where(PromiseToPay.customer_id == any_(_array("customer_ids", "int")),
           PromiseToPay.status == PromiseStatus.PENDING)
    .order_by(PromiseToPay.customer_id, PromiseToPay.due_date, PromiseToPay.id).with_for_update())

_share = _rows("s", "promise_", id="int", paid_amount="money", status="str", settled_at="time",
               transaction_id="int")
_promised = update(PromiseToPay).where(PromiseToPay.id == _share.c.id,  # (ANY: the primary key's index, whatever
                                       PromiseToPay.id == any_(_array("promise_id", "int"))).values(  # the stats)
    paid_amount=_share.c.paid_amount, status=_share.c.status, settled_at=_share.c.settled_at,
    matched_transaction_id=_share.c.transaction_id,
    updated_at=bindparam("now", type_=PromiseToPay.updated_at.type)).cte("promised")  # (no onupdate in a CTE)

_note = _rows("n", "note_", customer_id="int", agent_id="int", call_id="str", created_at="time", subject="str",
              comments="text")
_noted = insert(Interaction).from_select(
    ["customer_id", "channel", "direction", "operator_id", "call_id", "created_at", "activity_type", "complete",
     "send_message", "message_sent", "subject", "comments"],
    select(_note.c.customer_id, literal("mpesa", String()), literal("inbound", String()), _note.c.agent_id,
           _note.c.call_id, _note.c.created_at, literal("M-Pesa payment", String()), literal(True, Boolean()),
           literal(False, Boolean()), literal(False, Boolean()), _note.c.subject, _note.c.comments)).cte("noted")

_mark = _rows("k", "mark_", id="int", receipt="str")
_marked = update(MpesaCallback).where(MpesaCallback.id == _mark.c.id,
                                      MpesaCallback.id == any_(_array("mark_id", "int"))).values(
    status="processed", outcome="posted", reference=_mark.c.receipt,
    processed_at=bindparam("now", type_=MpesaCallback.processed_at.type)).cte("marked")

_pay = _rows("p", receipt="str", callback_id="int", amount="money", paid_at="time", payer="str", msisdn="str",
             bill_ref="str", customer_id="int", how="str", detail="str", transaction_id="int", call_id="str",
             agent_id="int", received_at="time")
WRITE_POSTINGS = HotStatement(insert(MpesaPayment).from_select(
    ["receipt", "source", "callback_id", "amount", "paid_at", "received_at", "payer", "msisdn", "bill_ref", "status",
     "customer_id", "match_how", "match_detail", "candidates", "transaction_id", "call_id", "agent_id"],
    select(_pay.c.receipt, literal("c2b", String()), _pay.c.callback_id, _pay.c.amount, _pay.c.paid_at,
           _pay.c.received_at, _pay.c.payer, _pay.c.msisdn, _pay.c.bill_ref, literal("posted", String()),
           _pay.c.customer_id, _pay.c.how, _pay.c.detail, _const([], MpesaPayment.candidates),
           _pay.c.transaction_id, _pay.c.call_id, _pay.c.agent_id))
    .returning(MpesaPayment.id, MpesaPayment.receipt).add_cte(_promised, _noted, _marked))
"""A batch's writes after its statement transactions, in one round trip: the promises' new state
(``promise_*`` arrays, empty when none changed), the payments (``RETURNING`` their ids), a history
note for each (``note_*``), and each callback marked posted (``mark_*``). Data-modifying CTEs all
run, whether or not the statement reads them."""
