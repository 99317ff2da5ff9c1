"""The pop's caller lookup over the store: matches with a short summary, and call-scoped grants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.live.pop import PopMatch
from store.db import Database
from store.models import Interaction, Loan, PromiseStatus, PromiseToPay
from store.repositories.access import grant_call_access
from store.repositories.customers import CustomerRepository


async def pop_summary(session: AsyncSession, customer_id: int) -> dict[str, Any]:
    """Overdue amount, days past due, the open promise and the last interaction."""
    overdue, dpd = (await session.execute(
        select(func.coalesce(func.sum(Loan.overdue_amount), 0),
               func.coalesce(func.max(Loan.days_past_due), 0))
        .where(Loan.customer_id == customer_id, Loan.status == "active")
    )).one()
    promise = (await session.execute(
        select(PromiseToPay).where(PromiseToPay.customer_id == customer_id,
                                   PromiseToPay.status == PromiseStatus.PENDING)
        .order_by(PromiseToPay.due_date).limit(1)
    )).scalar_one_or_none()
    last = (await session.execute(
        select(Interaction).where(Interaction.customer_id == customer_id)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(1)
    )).scalar_one_or_none()
    return {
        "overdue_amount": str(Decimal(overdue).quantize(Decimal("0.01"))),
        "days_past_due": int(dpd),
        "open_promise": None if promise is None else {
            "id": promise.id, "amount": str(promise.amount), "due_date": promise.due_date.isoformat(),
        },
        "last_interaction": None if last is None else {
            "at": last.created_at.isoformat(), "channel": last.channel,
            "disposition": "/".join(x for x in (last.disposition_status, last.disposition_reason,
                                                last.disposition_resolution) if x),
            "comments": (last.comments or last.subject or "")[:140],
        },
    }


class StoreCallerLookup:
    def __init__(self, database: Database, *, region: str, default_timezone: str) -> None:
        self._db, self._region, self._tz = database, region, default_timezone

    async def matches(self, e164: str) -> Sequence[PopMatch]:
        async with self._db.session() as session:
            found = await CustomerRepository(session, self._region, self._tz).find_by_phone(e164)
            out: list[PopMatch] = []
            seen: set[tuple[int, str]] = set()
            for match in found:
                key = (match.customer.id, match.relation.value)
                if key in seen:
                    continue
                seen.add(key)
                out.append(PopMatch(customer_id=match.customer.id, name=match.customer.name,
                                    relation=match.relation.value,
                                    summary=await pop_summary(session, match.customer.id)))
            return out

    async def grant(self, agent_id: int, customer_ids: Sequence[int], call_id: str, until: datetime) -> None:
        async with self._db.session() as session:
            await grant_call_access(session, agent_id, customer_ids, call_id, until)
