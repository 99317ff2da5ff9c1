"""The work list's per-customer summary (issue 15 item 10), kept on the customer row.

Overdue amount and days past due (open loans), last contact (newest note), next action (the earliest
open follow-up task or callback) and the promise state (the newest promise's status, or ``none``) are
columns of ``customers`` with an index each, so the follow-up table sorts and filters 100,000 customers
from an index. They are recomputed in the same transaction whenever a loan, note, task or promise is
written through the ORM (``after_flush``); writers that bypass the ORM call :func:`refresh` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, TextClause, bindparam, column, event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from store.hot import HotStatement
from store.models import FollowUpTask, Interaction, Loan, PromiseToPay

_WATCHED = (Loan, Interaction, FollowUpTask, PromiseToPay)
_SQL = """
UPDATE customers SET
  overdue_amount = COALESCE((SELECT SUM(l.overdue_amount) FROM loans l
                             WHERE l.customer_id = customers.id AND l.status <> 'closed'), 0),
  days_past_due = COALESCE((SELECT MAX(l.days_past_due) FROM loans l
                            WHERE l.customer_id = customers.id AND l.status <> 'closed'), 0),
  last_contact_at = (SELECT MAX(i.created_at) FROM interactions i WHERE i.customer_id = customers.id),
  next_action_at = (SELECT MIN(t.due_at) FROM followup_tasks t WHERE t.customer_id = customers.id AND NOT t.done),
  next_action_kind = (SELECT t.kind FROM followup_tasks t WHERE t.customer_id = customers.id AND NOT t.done
                      ORDER BY t.due_at, t.id LIMIT 1),
  promise_state = COALESCE((SELECT LOWER(p.status) FROM promises p WHERE p.customer_id = customers.id
                            ORDER BY p.due_date DESC, p.id DESC LIMIT 1), 'none')
"""


# for the hot paths that write with driver SQL (the M-Pesa fast path): one customer, in their transaction
REFRESH_ONE = HotStatement(text(f"{_SQL} WHERE customers.id = :customer_id RETURNING customers.id").bindparams(
    bindparam("customer_id", type_=Integer)).columns(column("id", Integer)))


def refresh_text(customer_ids: Iterable[int]) -> str:
    """The UPDATE for these customers as plain SQL (their ids are integers, written in it)."""
    ids = ",".join(str(int(i)) for i in sorted(set(customer_ids)))
    return f"{_SQL} WHERE customers.id IN ({ids})"


def refresh_sql(customer_ids: Iterable[int] | None) -> TextClause:
    """The UPDATE for these customers (``None``: every customer)."""
    return text(_SQL if customer_ids is None else refresh_text(customer_ids))


async def refresh(session: AsyncSession, customer_ids: Iterable[int] | None = None) -> None:
    """Recompute the summary now (bulk writers, the demo generator, the bench's seeder)."""
    ids = None if customer_ids is None else list(customer_ids)
    if ids == []:
        return
    await session.execute(refresh_sql(ids))


def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _WATCHED):
            customer_id = obj.customer_id
            if customer_id is not None:
                ids.add(customer_id)
    return ids


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    ids = _touched(session)
    if ids:
        session.connection().execute(refresh_sql(ids))
