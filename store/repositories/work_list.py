"""The Customer Follow-Up table as a work list (issue 15 item 10): sorts and filters on the summary
columns kept by :mod:`store.repositories.work_summary`, each served by an index ``(column, id)``.

Ascending sorts put customers without a value (never contacted, no next action) last; descending
sorts put them first, as PostgreSQL's index order does; SQLite is told the same order explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, UnaryExpression
from sqlalchemy.orm import InstrumentedAttribute

from store.models import Customer

SortKey = Literal["name", "overdue_amount", "days_past_due", "risk", "last_contact", "next_action", "promise_state"]
SortParam = Literal["name", "-name", "overdue_amount", "-overdue_amount", "days_past_due", "-days_past_due",
                    "risk", "-risk", "last_contact", "-last_contact", "next_action", "-next_action",
                    "promise_state", "-promise_state"]
PromiseFilter = Literal["none", "pending", "kept", "broken", "cancelled"]
NextActionFilter = Literal["due", "scheduled", "none"]

_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": Customer.name_lower, "overdue_amount": Customer.overdue_amount,
    "days_past_due": Customer.days_past_due, "risk": Customer.risk_score,
    "last_contact": Customer.last_contact_at, "next_action": Customer.next_action_at,
    "promise_state": Customer.promise_state,
}
_NULLABLE = {"last_contact", "next_action"}


@dataclass(frozen=True)
class WorkFilter:
    """Every filter is optional; together they narrow (AND)."""

    min_overdue: Decimal | None = None
    min_days_past_due: int | None = None
    max_days_past_due: int | None = None
    min_risk: float | None = None
    promise_state: PromiseFilter | None = None
    next_action: NextActionFilter | None = None
    not_contacted_days: int | None = None

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        c = Customer
        found: list[ColumnElement[bool]] = []
        if self.min_overdue is not None:
            found.append(c.overdue_amount >= self.min_overdue)
        if self.min_days_past_due is not None:
            found.append(c.days_past_due >= self.min_days_past_due)
        if self.max_days_past_due is not None:
            found.append(c.days_past_due <= self.max_days_past_due)
        if self.min_risk is not None:
            found.append(c.risk_score >= self.min_risk)
        if self.promise_state is not None:
            found.append(c.promise_state == self.promise_state)
        if self.next_action == "due":
            found.append(c.next_action_at <= now)
        elif self.next_action == "scheduled":
            found.append(c.next_action_at.is_not(None))
        elif self.next_action == "none":
            found.append(c.next_action_at.is_(None))
        if self.not_contacted_days is not None:
            since = now - timedelta(days=self.not_contacted_days)
            found.append((c.last_contact_at.is_(None)) | (c.last_contact_at < since))
        return found


def order_by(sort: SortParam) -> list[UnaryExpression[Any]]:
    """``-`` first means descending; the id breaks ties in the same direction (one index walk)."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = _COLUMNS[key]
    if descending:
        first = column.desc().nulls_first() if key in _NULLABLE else column.desc()
        return [first, Customer.id.desc()]
    return [column.asc().nulls_last() if key in _NULLABLE else column.asc(), Customer.id.asc()]
