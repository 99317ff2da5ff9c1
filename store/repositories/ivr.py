"""The store side of the IVR's writes: the promises and callbacks the menu creates (with their
history entries), the call's link and the pop's summary of the customer, as hot statements in the
caller's unit of work (``ivr.unit.Unit.writer``), writing the rows the ORM paths write (a promise
like ``AccountsRepository.add_promise``'s, the work list's summary kept as ``after_flush`` keeps it);
the pop's probe. The session rows and the reads of most keys: :mod:`store.repositories.ivr_hot`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from domain.errors import InvalidInput
from store.db import Database
from store.hot import HotConnection, HotStatement
from store.models import (
    AttemptState,
    CallTask,
    Campaign,
    Customer,
    DialAttempt,
    FollowUpTask,
    Interaction,
    IvrSession,
    Loan,
    PromiseToPay,
    TaskStatus,
)
from store.repositories import ivr_hot
from store.repositories.access import grant_call_access
from store.repositories.call_log import link_params, link_statement
from store.repositories.dialer import OPEN_STATUSES
from store.repositories.work_summary import REFRESH_ONE

CALLBACK_REASON = "callback"  # reasons.yaml: a callback the customer asked for
CALLBACK_TEXT = "callback requested (IVR)"

#: The pop's one probe per ring: the IVR summary of the call, if the caller came through the IVR.
POP_OF_CALL = HotStatement(
    select(IvrSession.pop).where(IvrSession.call_id == bindparam("call_id"), IvrSession.pop.is_not(None))
    .order_by(IvrSession.id.desc()).limit(1))

# The pop's summary of the customer the IVR identified, as hot statements (in the unit's transaction).
_ID = bindparam("customer_id", type_=Integer())
_ACTIVE = and_(Loan.customer_id == Customer.id, Loan.status == "active")
_P, _I = aliased(PromiseToPay), aliased(Interaction)
_PENDING_ID = (select(_P.id).where(_P.customer_id == Customer.id, _P.status == "pending")
               .order_by(_P.due_date, _P.id).limit(1).correlate(Customer).scalar_subquery())
_LAST_ID = (select(_I.id).where(_I.customer_id == Customer.id).order_by(_I.created_at.desc(), _I.id.desc())
            .limit(1).correlate(Customer).scalar_subquery())
SUMMARY = HotStatement(  # the customer, their open promise and their last history entry: one statement
    select(Customer.id, Customer.name,
           select(func.coalesce(func.sum(Loan.overdue_amount), 0)).where(_ACTIVE).scalar_subquery(),
           select(func.coalesce(func.max(Loan.days_past_due), 0)).where(_ACTIVE).scalar_subquery(),
           PromiseToPay.id, PromiseToPay.amount, PromiseToPay.due_date,
           Interaction.id, Interaction.created_at, Interaction.channel, Interaction.disposition_status,
           Interaction.disposition_reason, Interaction.disposition_resolution, Interaction.comments,
           Interaction.subject)
    .select_from(Customer).outerjoin(PromiseToPay, PromiseToPay.id == _PENDING_ID)
    .outerjoin(Interaction, Interaction.id == _LAST_ID).where(Customer.id == _ID))
LINK = {"postgresql": HotStatement(link_statement(postgresql.insert)),
        "sqlite": HotStatement(link_statement(sqlite.insert))}


async def link_call(hot: HotConnection, call_id: str, customer_id: int, at: datetime, *, carrier: str,
                    server: str) -> None:
    """The call record's customer is the IVR's (created if the call log has not yet; a link once
    made is kept), in the unit's transaction."""
    await hot.fetch(LINK[hot.dialect], link_params(call_id, at, carrier, server, customer_id))


async def customer_summary(hot: HotConnection, customer_id: int) -> dict[str, Any] | None:
    """The pop's match for a customer the IVR identified (same shape as the phone lookup's)."""
    row = await hot.fetchrow(SUMMARY, {"customer_id": customer_id})
    if row is None:
        return None
    found, name, overdue, dpd, promise_id, amount, due, entry_id, at, channel, *disposition, comments, subject = row
    return {"customer_id": found, "name": name, "relation": "customer", "summary": {
        "overdue_amount": str(Decimal(overdue).quantize(Decimal("0.01"))), "days_past_due": int(dpd),
        "open_promise": None if promise_id is None else {
            "id": promise_id, "amount": str(amount), "due_date": due.isoformat()},
        "last_interaction": None if entry_id is None else {
            "at": at.isoformat(), "channel": channel, "disposition": "/".join(x for x in disposition if x),
            "comments": (comments or subject or "")[:140]},
    }}


ASSIGNED_AGENT = HotStatement(select(Customer.assigned_agent_id).where(Customer.id == _ID))
NEW_PROMISE = HotStatement(insert(PromiseToPay).values(  # as AccountsRepository.add_promise's, source ivr
    customer_id=_ID, amount=bindparam("amount"), due_date=bindparam("due"), assignee_id=bindparam("assignee"),
    created_by_id=None, notes="promise to pay (IVR)", loan_id=None, interaction_id=bindparam("entry_id"),
    source="ivr").returning(PromiseToPay.id))


async def add_promise(writer: HotConnection, customer_id: int, amount: Decimal, due: date,
                      call_id: str | None) -> tuple[int, int]:
    """A promise like an agent's (source ``ivr``), assigned to the customer's agent, with its
    history entry, in the unit's transaction (``writer``): (the promise's id, the entry's id)."""
    if amount <= 0:
        raise InvalidInput("amount must be positive", {"amount": "must be greater than 0"})
    agent = await writer.fetchrow(ASSIGNED_AGENT, {"customer_id": customer_id})
    entry_id = await ivr_hot.history(writer, customer_id, call_id, "Promise to pay (IVR)",
                                     f"Promised {amount} by {due.isoformat()}", promised_amount=amount,
                                     promised_date=due, refresh=False)
    row = await writer.fetchrow(NEW_PROMISE, {"customer_id": customer_id, "amount": amount, "due": due,
                                              "assignee": None if agent is None else agent[0],
                                              "entry_id": entry_id})
    assert row is not None  # INSERT ... RETURNING
    await writer.fetch(REFRESH_ONE, {"customer_id": customer_id})  # the entry's and the promise's
    return int(row[0]), entry_id


@dataclass(frozen=True, slots=True)
class CallbackCustomer:
    """What a callback needs of the customer: the compliance gate's fields, the owner and the queue."""

    id: int
    assigned_agent_id: int | None
    campaign_id: int | None
    risk_score: float
    timezone: str | None
    alt_contacts_consent: bool
    do_not_call: bool
    do_not_call_at: datetime | None
    call_consent_revoked_at: datetime | None


_CUSTOMER_ID = _ID
CALLBACK_CUSTOMER = HotStatement(select(*(getattr(Customer, f.name) for f in fields(CallbackCustomer)))
                                 .where(Customer.id == _CUSTOMER_ID))
RECENT_ATTEMPTS = HotStatement(
    select(DialAttempt.requested_at, DialAttempt.loan_id, DialAttempt.conversation)
    .where(DialAttempt.customer_id == _CUSTOMER_ID, DialAttempt.requested_at >= bindparam("since"),
           DialAttempt.state != AttemptState.NOT_SENT))
OPEN_CALLBACK = HotStatement(
    select(CallTask.id, CallTask.status)
    .where(CallTask.customer_id == _CUSTOMER_ID, CallTask.reason == CALLBACK_REASON,
           CallTask.status.in_(OPEN_STATUSES)).order_by(CallTask.id).limit(1))
_MOVED = {"next_eligible_at": bindparam("at"), "comment": CALLBACK_TEXT, "updated_at": bindparam("now"),
          "owner_id": bindparam("agent"), "owner_until": bindparam("until")}
MOVE_CALLBACK = HotStatement(update(CallTask).where(CallTask.id == bindparam("task_id")).values(**_MOVED))
MOVE_QUEUED_CALLBACK = HotStatement(update(CallTask).where(CallTask.id == bindparam("task_id"))
                                    .values(**_MOVED, reserved_by_id=None, reserved_at=None))
CAMPAIGN = HotStatement(select(Campaign.id).where(Campaign.code == bindparam("code")))
NEW_CALLBACK = HotStatement(insert(CallTask).values(
    customer_id=_CUSTOMER_ID, campaign_id=bindparam("campaign_id"), reason=CALLBACK_REASON, source="ivr",
    priority=bindparam("priority"), status=TaskStatus.QUEUED, attempts=0, next_eligible_at=bindparam("at"),
    owner_id=bindparam("agent"), owner_until=bindparam("until"), comment=CALLBACK_TEXT,
    created_at=bindparam("now"), updated_at=bindparam("now")).returning(CallTask.id))
FOLLOW_UP = HotStatement(insert(FollowUpTask).values(
    customer_id=_CUSTOMER_ID, assignee_id=bindparam("agent"), kind="callback", due_at=bindparam("at"),
    instructions=CALLBACK_TEXT, interaction_id=bindparam("entry_id"), created_at=bindparam("now")))


async def callback_customer(hot: HotConnection, customer_id: int) -> CallbackCustomer | None:
    row = await hot.fetchrow(CALLBACK_CUSTOMER, {"customer_id": customer_id})
    return None if row is None else CallbackCustomer(*row)


async def recent_attempts(hot: HotConnection, customer_id: int, since: datetime
                          ) -> list[tuple[datetime, int | None, bool]]:
    """The customer's dial attempts since ``since`` that reached the carrier: (requested_at, loan_id, conversation)."""
    rows = await hot.fetch(RECENT_ATTEMPTS, {"customer_id": customer_id, "since": since})
    return [(row[0], row[1], row[2]) for row in rows]


async def add_callback(writer: HotConnection, customer: CallbackCustomer, at: datetime, now: datetime,
                       call_id: str | None, *, campaign_code: str | None, priority: float,
                       grace_until: datetime) -> int | None:
    """The callback, in the unit's transaction (``writer``): its history entry, a follow-up for the
    assigned agent (their task list) and a ``callback`` call task in the calls-to-make queue (owned
    by that agent until ``grace_until``, or the campaign's queue's from the start). An open callback
    task of the customer is moved, not doubled. The call task's id, or None when there is no
    campaign to queue it in."""
    customer_id, agent = customer.id, customer.assigned_agent_id
    entry_id = await ivr_hot.history(writer, customer_id, call_id, "Callback requested (IVR)", CALLBACK_TEXT,
                                     callback_at=at, refresh=agent is None)
    params = {"customer_id": customer_id, "agent": agent, "at": at, "now": now,
              "until": grace_until if agent is not None else None}
    if agent is not None:
        await writer.fetch(FOLLOW_UP, {**params, "entry_id": entry_id})
        await writer.fetch(REFRESH_ONE, {"customer_id": customer_id})  # the entry's and the task's
    held = await writer.fetchrow(OPEN_CALLBACK, {"customer_id": customer_id})
    if held is not None:
        task_id, status = held
        move = MOVE_QUEUED_CALLBACK if status is TaskStatus.QUEUED else MOVE_CALLBACK
        await writer.fetch(move, {**params, "task_id": task_id})
        return int(task_id)
    campaign_id = customer.campaign_id
    if campaign_id is None and campaign_code:
        found = await writer.fetchrow(CAMPAIGN, {"code": campaign_code})
        campaign_id = None if found is None else found[0]
    if campaign_id is None:
        return None
    row = await writer.fetchrow(NEW_CALLBACK, {**params, "campaign_id": campaign_id, "priority": priority})
    assert row is not None  # INSERT ... RETURNING
    return int(row[0])


class IvrRingSource:
    """For the screen-pop: the IVR summary of a ringing call (one hot probe per ring), with the
    customer the IVR identified opened to the ringing agent for the call (as the pop's matches are)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def for_ring(self, call_id: str, *, agent_id: int, until: datetime) -> dict[str, Any] | None:
        async with self._db.hot() as connection:
            row = await connection.fetchrow(POP_OF_CALL, {"call_id": call_id})
        if row is None or not isinstance(row[0], dict):
            return None
        pop: dict[str, Any] = dict(row[0])
        if pop.get("customer_id") is not None:
            async with self._db.session() as session:
                await grant_call_access(session, agent_id, [int(pop["customer_id"])], call_id, until)
        return pop
