"""The store side of the IVR's writes: the promises, callbacks and history entries the menu
creates, and the session records (``ivr_sessions``), in the caller's unit of work; the pop's probe.
The reads of most keys are hot statements (:mod:`store.repositories.ivr_hot`).
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.hot import HotStatement
from store.models import (
    CallTask,
    Campaign,
    Customer,
    FollowUpTask,
    Interaction,
    IvrSession,
    Loan,
    PromiseToPay,
    TaskStatus,
)
from store.repositories.access import grant_call_access
from store.repositories.accounts import AccountsRepository
from store.repositories.call_log import link_params, link_statement
from store.repositories.dialer import OPEN_STATUSES

CALLBACK_REASON = "callback"  # reasons.yaml: a callback the customer asked for
CALLBACK_TEXT = "callback requested (IVR)"

#: The pop's one probe per ring: the IVR summary of the call, if the caller came through the IVR.
POP_OF_CALL = HotStatement(
    select(IvrSession.pop).where(IvrSession.call_id == bindparam("call_id"), IvrSession.pop.is_not(None))
    .order_by(IvrSession.id.desc()).limit(1))

# The unit of work's statements, built once: building a select costs ~0.25 ms of CPU, its cache key
# ~0.1 ms more, and a built statement's key is memoized (the compiled SQL then comes from the cache).
_ASSIGNED_AGENT = select(Customer.assigned_agent_id).where(Customer.id == bindparam("customer_id"))
_OPEN_CALLBACK = (select(CallTask).where(CallTask.customer_id == bindparam("customer_id"),
                                         CallTask.reason == CALLBACK_REASON, CallTask.status.in_(OPEN_STATUSES))
                  .order_by(CallTask.id))
_CAMPAIGN = select(Campaign.id).where(Campaign.code == bindparam("code"))
_SESSION = select(IvrSession).where(IvrSession.id == bindparam("session_id"))
_SESSION_LOCKED = _SESSION.with_for_update()
_OVERDUE = (select(func.coalesce(func.sum(Loan.overdue_amount), 0), func.coalesce(func.max(Loan.days_past_due), 0))
            .where(Loan.customer_id == bindparam("customer_id"), Loan.status == "active"))
_PENDING_PROMISE = (select(PromiseToPay).where(PromiseToPay.customer_id == bindparam("customer_id"),
                                               PromiseToPay.status == "pending")
                    .order_by(PromiseToPay.due_date, PromiseToPay.id).limit(1))
_LAST_INTERACTION = (select(Interaction).where(Interaction.customer_id == bindparam("customer_id"))
                     .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(1))


@functools.cache
def _link_statement(dialect: str) -> Any:
    """:func:`link_statement` for ``dialect``, built once (building it costs ~0.8 ms of CPU)."""
    return link_statement(postgresql.insert if dialect == "postgresql" else sqlite.insert)


class IvrRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- who is calling (the hot reads are in store.repositories.ivr_hot) --------------------------

    async def assigned_agent(self, customer_id: int) -> int | None:
        agent: int | None = await self.session.scalar(_ASSIGNED_AGENT, {"customer_id": customer_id})
        return agent

    # --- what the menu leaves in the record --------------------------------------------------------

    def history(self, customer_id: int, call_id: str | None, subject: str, comments: str | None = None,
                **fields: Any) -> Interaction:
        """An ``ivr`` entry in the customer's history (flushed with the caller's unit of work)."""
        row = Interaction(customer_id=customer_id, channel="ivr", direction="inbound", operator_id=None,
                          call_id=call_id, activity_type="IVR", subject=subject, comments=comments,
                          complete=True, **fields)
        self.session.add(row)
        return row

    async def add_promise(self, customer_id: int, amount: Decimal, due: date, call_id: str | None,
                          assignee_id: int | None) -> PromiseToPay:
        """A promise like an agent's (source ``ivr``), assigned to the customer's agent, with its entry."""
        entry = self.history(customer_id, call_id, "Promise to pay (IVR)", f"Promised {amount} by {due.isoformat()}",
                             promised_amount=amount, promised_date=due)
        await self.session.flush()
        promise = await AccountsRepository(self.session).add_promise(
            customer_id, amount, due, assignee_id=assignee_id, created_by_id=None, notes="promise to pay (IVR)",
            interaction_id=entry.id)
        promise.source = "ivr"
        await self.session.flush()
        return promise

    async def add_callback(self, customer: Customer, at: datetime, now: datetime, call_id: str | None, *,
                           campaign_code: str | None, priority: float, grace_until: datetime) -> CallTask | None:
        """The callback: a follow-up for the assigned agent (their task list) and a ``callback`` call
        task in the calls-to-make queue (owned by that agent until ``grace_until``, or the campaign's
        queue's from the start). An open callback task of the customer is moved, not doubled."""
        customer_id, agent = customer.id, customer.assigned_agent_id
        entry = self.history(customer_id, call_id, "Callback requested (IVR)", CALLBACK_TEXT, callback_at=at)
        await self.session.flush()
        if agent is not None:
            self.session.add(FollowUpTask(
                customer_id=customer_id, assignee_id=agent, kind="callback", due_at=at,
                instructions=CALLBACK_TEXT, interaction_id=entry.id, created_at=now))
        held = (await self.session.scalars(_OPEN_CALLBACK, {"customer_id": customer_id})).first()
        if held is not None:
            held.next_eligible_at, held.comment, held.updated_at = at, CALLBACK_TEXT, now
            held.owner_id = agent
            held.owner_until = grace_until if agent is not None else None
            if held.status is TaskStatus.QUEUED:
                held.reserved_by_id = held.reserved_at = None
            await self.session.flush()
            return held
        campaign_id = customer.campaign_id
        if campaign_id is None and campaign_code:
            campaign_id = await self.session.scalar(_CAMPAIGN, {"code": campaign_code})
        if campaign_id is None:
            await self.session.flush()
            return None
        task = CallTask(
            customer_id=customer_id, campaign_id=campaign_id, reason=CALLBACK_REASON, source="ivr",
            priority=priority, status=TaskStatus.QUEUED, attempts=0, next_eligible_at=at,
            owner_id=agent, owner_until=grace_until if agent is not None else None,
            comment=CALLBACK_TEXT, created_at=now, updated_at=now)
        self.session.add(task)
        await self.session.flush()
        return task

    # --- sessions ------------------------------------------------------------------------------------

    async def start(self, *, call_id: str, carrier: str, menu: str, caller: str | None, language: str,
                    at: datetime) -> IvrSession:
        row = IvrSession(call_id=call_id, carrier=carrier, menu=menu, caller_number=caller, language=language,
                         path=[], started_at=at, abandoned=False, balance_heard=False, step=0)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, session_id: int, *, for_update: bool = False) -> IvrSession | None:
        """The row; ``for_update``: locked until the unit commits (one Twilio request at a time)."""
        locked = for_update and self.session.get_bind().dialect.name == "postgresql"
        return await self.session.scalar(_SESSION_LOCKED if locked else _SESSION, {"session_id": session_id})

    async def link_call(self, call_id: str, customer_id: int, at: datetime, *, carrier: str, server: str) -> None:
        """The call record's customer is the IVR's (created if the call log has not yet; a link once
        made is kept), in this unit of work."""
        await self.session.execute(_link_statement(self.session.get_bind().dialect.name),
                                   link_params(call_id, at, carrier, server, customer_id))

    async def customer_summary(self, customer_id: int) -> dict[str, Any] | None:
        """The pop's match for a customer the IVR identified (same shape as the phone lookup's)."""
        customer = await self.session.get(Customer, customer_id)
        if customer is None:
            return None
        params = {"customer_id": customer_id}
        overdue, dpd = (await self.session.execute(_OVERDUE, params)).one()
        promise = await self.session.scalar(_PENDING_PROMISE, params)
        last = await self.session.scalar(_LAST_INTERACTION, params)
        return {"customer_id": customer.id, "name": customer.name, "relation": "customer", "summary": {
            "overdue_amount": str(Decimal(overdue).quantize(Decimal("0.01"))), "days_past_due": int(dpd),
            "open_promise": None if promise is None else {
                "id": promise.id, "amount": str(promise.amount), "due_date": promise.due_date.isoformat()},
            "last_interaction": None if last is None else {
                "at": last.created_at.isoformat(), "channel": last.channel,
                "disposition": "/".join(x for x in (last.disposition_status, last.disposition_reason,
                                                    last.disposition_resolution) if x),
                "comments": (last.comments or last.subject or "")[:140]},
        }}


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
