"""The IVR's hot statements: what most keys and Twilio requests need, without the ORM.

Finding a call's session, reading its state, saving it (also inside a unit of work's
transaction, ``ivr.unit.Unit.writer``), and the reads behind identification, verification and
the balance are :class:`~store.hot.HotStatement` objects (compiled once; on PostgreSQL run on
asyncpg directly, each committing on its own). A session's state is saved with its step number checked
(``WHERE step = :old``): of two requests for the same step only one moves the session on, so a
request may read the state without locking the row.

The session's start and end and the ``ivr`` history entries are hot statements too, run in the
unit of work's transaction: they write exactly the rows the ORM wrote (the JSON ``null`` of a
closed session's state included), and a history entry refreshes the work list's summary of its
customer as the ORM's ``after_flush`` does (the promises and callbacks: ``store.repositories.ivr``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Integer, String, and_, bindparam, func, insert, select, update

from store.hot import HotConnection, HotStatement
from store.models import Customer, CustomerPhone, Installment, Interaction, IvrSession, Loan
from store.repositories.work_summary import REFRESH_ONE

MAX_PREFIXES = 4  # account number prefixes tried (ivr.yaml's account_prefixes, padded)
S = IvrSession

SESSION = HotStatement(select(S.id, S.call_id, S.carrier, S.outcome, S.state, S.step, S.queue)
                       .where(S.id == bindparam("id", type_=Integer())))
LATEST = HotStatement(select(S.id, S.outcome, S.state, S.step)
                      .where(S.call_id == bindparam("call_id", type_=String())).order_by(S.id.desc()).limit(1))
SAVE_STATE = HotStatement(
    update(S).where(S.id == bindparam("session_id", type_=Integer()), S.step == bindparam("old", type_=Integer()),
                    S.outcome.is_(None))
    .values(state=bindparam("new_state", type_=JSON()), step=bindparam("new_step", type_=Integer()))
    .returning(S.id))
PHONE_OWNERS = HotStatement(select(CustomerPhone.customer_id).where(CustomerPhone.e164 == bindparam("e164"))
                            .distinct().limit(3))
BY_CLIENT_ID = HotStatement(select(Customer.id).where(Customer.client_id.in_(
    [bindparam(f"c{i}", type_=String()) for i in range(MAX_PREFIXES)])).limit(2))
GOVERNMENT_ID = HotStatement(select(Customer.government_id).where(Customer.id == bindparam("id", type_=Integer())))
BALANCE = HotStatement(
    select(Customer.timezone, func.coalesce(func.sum(Loan.balance), 0), func.min(Loan.currency))
    .outerjoin(Loan, and_(Loan.customer_id == Customer.id, Loan.status == "active"))
    .where(Customer.id == bindparam("id", type_=Integer())).group_by(Customer.id))
NEXT_INSTALMENT = HotStatement(
    select(Installment.due_date, Installment.principal + Installment.interest - Installment.paid_amount)
    .join(Loan, Loan.id == Installment.loan_id)
    .where(Loan.customer_id == bindparam("id", type_=Integer()), Loan.status == "active",
           Installment.due_date >= bindparam("today"),
           Installment.principal + Installment.interest > Installment.paid_amount)
    .order_by(Installment.due_date, Installment.id).limit(1))


def _p(name: str, column: Any) -> Any:
    """The run-time parameter ``v_<name>`` with its column's type (a column's own name is reserved
    in an INSERT's VALUES and an UPDATE's SET)."""
    return bindparam(f"v_{name}", type_=column.type)


def _values(params: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in params.items()}


OPEN = HotStatement(insert(S).values(
    call_id=_p("call_id", S.call_id), carrier=_p("carrier", S.carrier), menu=_p("menu", S.menu),
    caller_number=_p("caller", S.caller_number), language=_p("language", S.language), path=[],
    started_at=_p("at", S.started_at), abandoned=False, balance_heard=False, step=0).returning(S.id))
LOCKED = HotStatement(select(S.call_id, S.carrier, S.outcome, S.started_at)
                      .where(S.id == bindparam("session_id", type_=Integer())).with_for_update())
_END = {name: _p(name, getattr(S, name)) for name in (
    "customer_id", "language", "identified_by", "verified", "path", "outcome", "end_node", "abandoned", "queue",
    "note", "promise_id", "callback_at", "balance_heard", "ended_at", "duration_seconds")}
_ENDED = (update(S).where(S.id == bindparam("session_id", type_=Integer()))
          .values(**_END, state=JSON.NULL))  # JSON null, as the ORM writes a None
CLOSE = HotStatement(_ENDED)
CLOSE_TO_AGENT = HotStatement(_ENDED.values(pop=_p("pop", S.pop)))
_ENTRY = ("customer_id", "call_id", "subject", "comments", "promised_amount", "promised_date", "callback_at")
HISTORY = HotStatement(insert(Interaction).values(
    **{name: _p(name, getattr(Interaction, name)) for name in _ENTRY},
    channel="ivr", direction="inbound", operator_id=None, activity_type="IVR", complete=True,
).returning(Interaction.id))


async def session_state(hot: HotConnection, session_id: int) -> dict[str, Any] | None:
    row = await hot.fetchrow(SESSION, {"id": session_id})
    if row is None:
        return None
    keys = ("id", "call_id", "carrier", "outcome", "state", "step", "queue")
    return dict(zip(keys, row, strict=True))


async def latest(hot: HotConnection, call_id: str) -> dict[str, Any] | None:
    """The call's latest session (id, outcome, state, step), or None."""
    row = await hot.fetchrow(LATEST, {"call_id": call_id})
    return None if row is None else dict(zip(("id", "outcome", "state", "step"), row, strict=True))


async def save_state(hot: HotConnection, session_id: int, state: dict[str, Any], old: int, new: int) -> bool:
    """Save the state if the session is still at step ``old`` (True), else nothing (False)."""
    params = {"session_id": session_id, "old": old, "new_step": new, "new_state": state}
    return await hot.fetchrow(SAVE_STATE, params) is not None


async def phone_owners(hot: HotConnection, e164: str) -> tuple[int, ...]:
    return tuple(sorted(row[0] for row in await hot.fetch(PHONE_OWNERS, {"e164": e164})))


async def customer_by_account(hot: HotConnection, digits: str, prefixes: Sequence[str]) -> int | None:
    candidates = [prefix + digits for prefix in prefixes][:MAX_PREFIXES] or [digits]
    candidates += [candidates[0]] * (MAX_PREFIXES - len(candidates))
    rows = await hot.fetch(BY_CLIENT_ID, {f"c{i}": c for i, c in enumerate(candidates)})
    return int(rows[0][0]) if len(rows) == 1 else None


async def government_id(hot: HotConnection, customer_id: int) -> str | None:
    row = await hot.fetchrow(GOVERNMENT_ID, {"id": customer_id})
    return None if row is None else row[0]


async def balance(hot: HotConnection, customer_id: int) -> tuple[str | None, Decimal, str | None] | None:
    """(the customer's time zone, the active loans' balance, their currency), or None: no customer."""
    row = await hot.fetchrow(BALANCE, {"id": customer_id})
    return None if row is None else (row[0], Decimal(row[1]), row[2])


async def next_instalment(hot: HotConnection, customer_id: int, today: date) -> tuple[date, Decimal] | None:
    row = await hot.fetchrow(NEXT_INSTALMENT, {"id": customer_id, "today": today})
    return None if row is None else (row[0], Decimal(row[1]))


async def open_session(hot: HotConnection, *, call_id: str, carrier: str, menu: str, caller: str | None,
                       language: str, at: datetime) -> int:
    """A new session row (in the menu: no outcome); its id."""
    row = await hot.fetchrow(OPEN, _values({"call_id": call_id, "carrier": carrier, "menu": menu, "caller": caller,
                                            "language": language, "at": at}))
    assert row is not None  # INSERT ... RETURNING
    return int(row[0])


async def locked(hot: HotConnection, session_id: int) -> dict[str, Any] | None:
    """The session's call_id, carrier, outcome and started_at, locked until the unit ends
    (PostgreSQL; SQLite's writer holds the database), or None."""
    row = await hot.fetchrow(LOCKED, {"session_id": session_id})
    return None if row is None else dict(zip(("call_id", "carrier", "outcome", "started_at"), row, strict=True))


async def close_session(hot: HotConnection, session_id: int, ended: dict[str, Any],
                        pop: dict[str, Any] | None) -> None:
    """The session's end (``ended``: the columns of ``_END``); the pop's summary when it went to agents."""
    params = {**_values(ended), "session_id": session_id}
    if pop is None:
        await hot.fetch(CLOSE, params)
    else:
        await hot.fetch(CLOSE_TO_AGENT, {**params, **_values({"pop": pop})})


async def history(hot: HotConnection, customer_id: int, call_id: str | None, subject: str,
                  comments: str | None = None, *, promised_amount: Decimal | None = None,
                  promised_date: date | None = None, callback_at: datetime | None = None,
                  refresh: bool = True) -> int:
    """An ``ivr`` entry in the customer's history, and the work list's summary of the customer
    recomputed (as the ORM's ``after_flush`` does for an entry; ``refresh=False``: the caller does
    it, after its other writes); the entry's id."""
    row = await hot.fetchrow(HISTORY, _values({
        "customer_id": customer_id, "call_id": call_id, "subject": subject, "comments": comments,
        "promised_amount": promised_amount, "promised_date": promised_date, "callback_at": callback_at}))
    assert row is not None  # INSERT ... RETURNING
    if refresh:
        await hot.fetch(REFRESH_ONE, {"customer_id": customer_id})
    return int(row[0])
