"""Payment requests (STK push): one row each, with its state; at most one pending per customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agent_state import WITH_A_CALL
from domain.payments import PENDING, SETTLED, RequestState, can_move
from store.models import AgentPresence, PaymentRequest

LIVE_STATES = WITH_A_CALL  # an agent in one of these is on (or just off) a call


class PaymentRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, *, customer_id: int, agent_id: int | None, call_id: str | None, phone: str,
                     amount: Decimal, account_reference: str, now: datetime) -> PaymentRequest:
        """A new pending request (``sent``); a second pending one for the customer fails on the
        unique ``open_customer_id`` (IntegrityError, the caller's unit of work turns it into 409)."""
        row = PaymentRequest(customer_id=customer_id, agent_id=agent_id, call_id=call_id, phone=phone,
                             amount=amount, account_reference=account_reference, state=RequestState.SENT,
                             open_customer_id=customer_id, created_at=now, updated_at=now, sent_at=now)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, request_id: int, *, for_update: bool = False) -> PaymentRequest | None:
        query = select(PaymentRequest).where(PaymentRequest.id == request_id)
        found: PaymentRequest | None = await self.session.scalar(query.with_for_update() if for_update else query)
        return found

    async def by_checkout(self, checkout_request_id: str, *, for_update: bool = False) -> PaymentRequest | None:
        query = select(PaymentRequest).where(PaymentRequest.checkout_request_id == checkout_request_id)
        found: PaymentRequest | None = await self.session.scalar(query.with_for_update() if for_update else query)
        return found

    async def move(self, request_id: int, target: RequestState, now: datetime, **values: object
                   ) -> PaymentRequest | None:
        """Move the request to ``target`` if the state machine allows it from where it is (else
        None, nothing changed); a request that is no longer pending frees its customer's slot."""
        row = await self.get(request_id, for_update=True)
        if row is None or not can_move(row.state, target):
            return None
        for name, value in values.items():
            setattr(row, name, value)
        row.state, row.updated_at = target, now
        if target not in PENDING:
            row.open_customer_id = None
        if target in SETTLED:
            row.settled_at = now
        await self.session.flush()
        return row

    async def pending_for(self, customer_id: int) -> PaymentRequest | None:
        found: PaymentRequest | None = await self.session.scalar(
            select(PaymentRequest).where(PaymentRequest.open_customer_id == customer_id))
        return found

    async def sent_since(self, customer_id: int, since: datetime) -> list[datetime]:
        """When requests that may have reached the customer's phone went out (those refused before
        anything was sent do not count)."""
        reached = or_(PaymentRequest.checkout_request_id.is_not(None), PaymentRequest.state != RequestState.FAILED)
        rows = await self.session.scalars(
            select(PaymentRequest.created_at).where(PaymentRequest.customer_id == customer_id,
                                                    PaymentRequest.created_at >= since, reached))
        return list(rows.all())

    async def recent(self, customer_id: int, limit: int = 10) -> list[PaymentRequest]:
        rows = await self.session.scalars(
            select(PaymentRequest).where(PaymentRequest.customer_id == customer_id)
            .order_by(PaymentRequest.created_at.desc(), PaymentRequest.id.desc()).limit(limit))
        return list(rows.all())

    async def overdue(self, *, sent_before: datetime, queried_before: datetime, limit: int) -> list[PaymentRequest]:
        """Pending requests sent before ``sent_before`` and not asked about since ``queried_before``:
        the ones whose callback is late."""
        asked_long_ago = or_(PaymentRequest.queried_at.is_(None), PaymentRequest.queried_at < queried_before)
        rows = await self.session.scalars(
            select(PaymentRequest).where(PaymentRequest.state.in_(list(PENDING)),
                                         PaymentRequest.sent_at < sent_before, asked_long_ago)
            .order_by(PaymentRequest.sent_at).limit(limit))
        return list(rows.all())

    async def claim_query(self, request: PaymentRequest, now: datetime) -> bool:
        """Take the next query of ``request`` (compare-and-set on ``queried_at``): of several
        workers sweeping at once, one asks M-Pesa."""
        before = request.queried_at
        same = PaymentRequest.queried_at.is_(None) if before is None else PaymentRequest.queried_at == before
        result = await self.session.execute(
            update(PaymentRequest).where(PaymentRequest.id == request.id, same)
            .values(queried_at=now, queries=PaymentRequest.queries + 1)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    async def agent_call(self, agent_id: int) -> str | None:
        """The call the agent is ringing, talking or wrapping up on, if any."""
        row = (await self.session.execute(
            select(AgentPresence.state, AgentPresence.call_id).where(AgentPresence.user_id == agent_id))).first()
        if row is None or row[0] not in LIVE_STATES or not row[1]:
            return None
        return str(row[1])
