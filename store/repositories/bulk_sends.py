"""Who a bulk reminder goes to: customers by a filter, in id order from a cursor (so a run can be
resumed), skipping the ones its run already holds a message for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.models import BulkSend, Customer, Loan, Message, PromiseStatus, PromiseToPay


@dataclass(frozen=True, slots=True)
class Selection:
    """``promises_due``: a pending promise due on ``day``. ``days_past_due``: an active loan
    ``min_days``..``max_days`` days past due. ``campaign``: only customers of that campaign id."""

    kind: Literal["promises_due", "days_past_due"]
    day: date | None = None
    min_days: int | None = None
    max_days: int | None = None
    campaign_id: int | None = None


def _query(selection: Selection) -> Select[Any]:
    query = select(Customer.id)
    if selection.kind == "promises_due":
        query = query.where(exists().where(PromiseToPay.customer_id == Customer.id,
                                           PromiseToPay.status == PromiseStatus.PENDING,
                                           PromiseToPay.due_date == selection.day))
    else:
        query = query.where(exists().where(Loan.customer_id == Customer.id, Loan.status == "active",
                                           Loan.days_past_due >= (selection.min_days or 0),
                                           Loan.days_past_due <= (selection.max_days or 100_000)))
    if selection.campaign_id is not None:
        query = query.where(Customer.campaign_id == selection.campaign_id)
    return query


async def count(session: AsyncSession, selection: Selection) -> int:
    return int(await session.scalar(select(func.count()).select_from(_query(selection).subquery())) or 0)


async def page(session: AsyncSession, selection: Selection, *, after_id: int, limit: int,
               bulk_id: int | None = None) -> list[Customer]:
    """The next customers (phones, serials, contacts loaded) after ``after_id``, without the ones
    ``bulk_id`` already has a message for."""
    ids = _query(selection).where(Customer.id > after_id)
    if bulk_id is not None:
        ids = ids.where(~exists().where(Message.bulk_id == bulk_id, Message.customer_id == Customer.id))
    rows = await session.scalars(
        select(Customer).where(Customer.id.in_(ids.order_by(Customer.id).limit(limit).scalar_subquery()))
        .options(selectinload(Customer.phones), selectinload(Customer.serials), selectinload(Customer.contacts))
        .order_by(Customer.id))
    return list(rows.all())


async def unfinished(session: AsyncSession) -> list[BulkSend]:
    rows = await session.scalars(select(BulkSend).where(BulkSend.status == "queuing").order_by(BulkSend.id))
    return list(rows.all())


async def recent(session: AsyncSession, limit: int = 20) -> list[BulkSend]:
    rows = await session.scalars(select(BulkSend).order_by(BulkSend.id.desc()).limit(limit))
    return list(rows.all())
