"""The one place that decides whether a dial needs a supervisor's approval (dialer.yaml
``approval_required``), for every dial path (click-to-call, the preview's "Dial now", the progressive
dialer) and every carrier: :class:`dialer.dialing.DialSender` calls :func:`check_dial` for each dial
before the attempt row is written, so a refused dial sends nothing and holds no lock.

- ``number_off_record``: a number that is neither one of the customer's numbers nor a contact's.
- ``customer_not_granted``: a customer that is neither assigned to the agent nor granted to them by a
  call (the screen-pop, the incoming search), an open follow-up task, or the dialer's call task
  reserved for them. Supervisors and admins may dial every customer.

Either is allowed by an approval a supervisor granted this agent for this number (and, when it
names one, this customer) that has not expired. Otherwise: 403 ``approval-required`` with a sentence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.lists.models import ApprovalRule
from domain.errors import ApprovalRequired
from store.models import ApprovalStatus, Customer, DialApproval, Role, User
from store.repositories.access import active_grant, open_task_grant

Why = Literal["role", "assigned", "call", "task", "dialer_task", "approval", "free"]


async def granted(session: AsyncSession, agent: User, customer: Customer, now: datetime,
                  reserved_task: bool) -> Why | None:
    """Why ``agent`` may dial ``customer`` without an approval, or None."""
    if agent.role in (Role.SUPERVISOR, Role.ADMIN):
        return "role"
    if customer.assigned_agent_id == agent.id:
        return "assigned"
    if reserved_task:
        return "dialer_task"
    if await active_grant(session, agent.id, customer.id, now) is not None:
        return "call"
    if await open_task_grant(session, agent.id, customer.id) is not None:
        return "task"
    return None


async def approved(session: AsyncSession, agent_id: int, customer_id: int, e164: str, now: datetime) -> bool:
    """An approval of this number for this agent (and this customer, or none named) still open."""
    found = await session.scalar(
        select(DialApproval.id).where(
            DialApproval.agent_id == agent_id, DialApproval.number_e164 == e164,
            DialApproval.status == ApprovalStatus.APPROVED, DialApproval.expires_at > now,
            or_(DialApproval.customer_id.is_(None), DialApproval.customer_id == customer_id)).limit(1))
    return found is not None


async def check_dial(session: AsyncSession, rule: ApprovalRule, agent: User, customer: Customer,
                     e164: str, *, on_record: bool, now: datetime, reserved_task: bool = False) -> Why:
    """Why this dial may go ahead; ApprovalRequired (403) with a sentence when it needs an approval."""
    off_record = rule.number_off_record and not on_record
    why = await granted(session, agent, customer, now, reserved_task) if rule.customer_not_granted else "free"
    if not off_record and why is not None:
        return why
    if await approved(session, agent.id, customer.id, e164, now):
        return "approval"
    if off_record:
        raise ApprovalRequired(f"{e164} is not on {customer.name}'s record, so calling it needs a supervisor's "
                               "approval: request one from Outgoing Call and call once it is approved.",
                               {"number": e164, "rule": "number_off_record"})
    raise ApprovalRequired(f"{customer.name} is not one of your customers and no call or task gives them to "
                           "you, so calling them needs a supervisor's approval.",
                           {"number": e164, "rule": "customer_not_granted"})
