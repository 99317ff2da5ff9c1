"""The IVR's hot statements: what most keys and Twilio requests need, without the ORM.

Finding a call's session, reading its state, saving it (also inside a unit of work, see
:func:`store.hot.joining`), and the reads behind identification, verification and the
balance are :class:`~store.hot.HotStatement` objects (compiled once; on PostgreSQL run on asyncpg
directly, each committing on its own). A session's state is saved with its step number checked
(``WHERE step = :old``): of two requests for the same step only one moves the session on, so a
request may read the state without locking the row. Writes of records (promises, callbacks,
history, the session's end) stay in the ORM unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Integer, String, and_, bindparam, func, select, update

from store.hot import HotConnection, HotStatement
from store.models import Customer, CustomerPhone, Installment, IvrSession, Loan

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
