"""Seed 001 "Outgoing Call": dialling a number outside the customer's record needs a supervisor.

The agent's request reaches the supervisors' stream at once (``approval.requested``). A decision
(``approval.decided`` to the agent and the supervisors) opens that number for that agent for
``settings.dialer.approval_minutes``; a refusal, or no decision within
``settings.dialer.approval_timeout_seconds``, blocks it. Requests and decisions are audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bus.outbox_names import APPROVAL_DECIDED, APPROVAL_REQUESTED
from dialer.context import DialerContext
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.phone import to_e164
from store.models import ApprovalStatus, Customer, DialApproval, Role, User
from store.repositories.audit import AuditLog
from store.repositories.dialer import DialerRepository

MAX_REASON = 500


def approval_json(row: DialApproval, agent: str, customer_name: str | None) -> dict[str, Any]:
    return {
        "id": row.id, "agent": agent, "number": row.number_e164, "customer_id": row.customer_id,
        "customer_name": customer_name, "reason": row.reason, "status": row.status.value,
        "requested_at": row.requested_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }


class Approvals:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    async def request(self, username: str, number: str, customer_id: int | None,
                      reason: str | None) -> dict[str, Any]:
        ctx, now = self.ctx, self.ctx.now()
        e164 = to_e164(number, ctx.settings.default_region)
        if e164 is None:
            raise InvalidInput(f"{number!r} is not a valid phone number", {"number": "not a valid phone number"})
        if not (reason or "").strip():
            raise InvalidInput("say why this number must be called", {"reason": "required"})
        async with ctx.database.session() as session:
            agent = await DialerRepository(session).user_by_name(username)
            if agent is None:
                raise NotFound("no such user")
            customer = await session.get(Customer, customer_id) if customer_id is not None else None
            if customer_id is not None and customer is None:
                raise NotFound(f"no customer {customer_id}", {"customer_id": str(customer_id)})
            row = DialApproval(agent_id=agent.id, customer_id=customer_id, number_e164=e164,
                               reason=(reason or "").strip()[:MAX_REASON], status=ApprovalStatus.PENDING,
                               requested_at=now,
                               expires_at=now + timedelta(seconds=ctx.settings.dialer.approval_timeout_seconds))
            session.add(row)
            await session.flush()
            AuditLog(session, agent.id).record("approval_request", "dial_approval", row.id,
                                               customer_id=customer_id, details={"number": e164})
            body = approval_json(row, agent.username, customer.name if customer else None)
        await ctx.push_supervisors(APPROVAL_REQUESTED, body)
        return body

    async def decide(self, supervisor: str, approval_id: int, approve: bool) -> dict[str, Any]:
        ctx, now = self.ctx, self.ctx.now()
        async with ctx.database.session() as session:
            await DialerRepository(session).begin_write()
            boss = await DialerRepository(session).user_by_name(supervisor)
            if boss is None or boss.role not in (Role.SUPERVISOR, Role.ADMIN):
                raise PermissionDenied("only a supervisor may decide", {"role": "supervisor required"})
            row = await session.get(DialApproval, approval_id)
            if row is None:
                raise NotFound(f"no approval {approval_id}", {"id": str(approval_id)})
            if row.status == ApprovalStatus.PENDING and row.expires_at is not None and row.expires_at <= now:
                row.status, row.decided_at = ApprovalStatus.EXPIRED, now
                AuditLog(session, None).record("approval_expired", "dial_approval", row.id,
                                               customer_id=row.customer_id, details={"number": row.number_e164})
                expired = True
            else:
                expired = False
            if row.status != ApprovalStatus.PENDING:
                status = row.status.value
                if expired:
                    body = await self._body(session, row)
                else:
                    raise Conflict(f"the request is already {status}", {"status": status})
            else:
                row.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
                row.decided_at, row.decided_by_id = now, boss.id
                row.expires_at = now + timedelta(minutes=ctx.settings.dialer.approval_minutes) if approve else None
                AuditLog(session, boss.id).record("approval_" + row.status.value, "dial_approval", row.id,
                                                  customer_id=row.customer_id,
                                                  details={"number": row.number_e164, "approve": approve})
                body = await self._body(session, row)
        await self._announce(body)
        if expired:
            raise Conflict("the request timed out before the decision", {"status": "expired"})
        return body

    async def _body(self, session: Any, row: DialApproval) -> dict[str, Any]:
        agent = await session.get(User, row.agent_id)
        customer = await session.get(Customer, row.customer_id) if row.customer_id else None
        return approval_json(row, agent.username if agent else "?", customer.name if customer else None)

    async def _announce(self, body: dict[str, Any]) -> None:
        data = {**body, "approved": body["status"] == ApprovalStatus.APPROVED.value}
        await self.ctx.push(body["agent"], APPROVAL_DECIDED, data)
        await self.ctx.push_supervisors(APPROVAL_DECIDED, data)

    async def expire(self) -> int:
        """Pending requests past their time out become expired (blocked), announced and audited."""
        now = self.ctx.now()
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            query = select(DialApproval).where(DialApproval.status == ApprovalStatus.PENDING,
                                               DialApproval.expires_at <= now)
            if repo.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.scalars(query)).all()
            bodies = []
            for row in rows:
                row.status, row.decided_at = ApprovalStatus.EXPIRED, now
                AuditLog(session, None).record("approval_expired", "dial_approval", row.id,
                                               customer_id=row.customer_id, details={"number": row.number_e164})
                bodies.append(await self._body(session, row))
        for body in bodies:
            await self._announce(body)
        return len(bodies)

    async def list(self, status: str | None, limit: int = 200) -> list[dict[str, Any]]:
        query = select(DialApproval).order_by(DialApproval.requested_at.desc(), DialApproval.id.desc())
        if status is not None:
            try:
                query = query.where(DialApproval.status == ApprovalStatus(status))
            except ValueError as exc:
                raise InvalidInput(f"unknown status {status!r}", {"status": "unknown"}) from exc
        async with self.ctx.database.session() as session:
            rows = (await session.scalars(query.limit(limit))).all()
            return [await self._body(session, row) for row in rows]
