"""The one place that decides whether a user may open a customer's record.

Supervisors and admins see every customer. An agent sees the customers assigned to them, and,
for the call and its wrap-up, the customers matched to a call offered to them (a call-scoped grant
made by the CTI screen-pop or by picking a caller in the incoming search; each such access is audited
as ``call_scoped_read``), and the customer of an open follow-up task assigned to them, while the task
is open (a task-scoped grant, audited as ``task_scoped_read``). Anything else is 404, exactly as for
a customer that does not exist, so that no existence leaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from store.models import Customer, Role, User
from store.repositories.access import active_grant, open_task_grant
from store.repositories.audit import AuditLog
from store.repositories.customers import get_customer

Why = Literal["role", "assigned", "call", "task"]


@dataclass(frozen=True, slots=True)
class Opened:
    customer: Customer
    why: Why
    call_id: str | None = None  # the call whose grant opened it
    task_id: int | None = None  # the open task whose grant opened it


def hidden(customer_id: int) -> NotFound:
    """The 404 of a customer the user may not open: word for word that of one that does not exist."""
    return NotFound(f"no customer {customer_id}", {"id": str(customer_id)})


async def open_customer(session: AsyncSession, user: User, customer_id: int, *,
                        purpose: Literal["read", "write"] = "read", what: str = "record",
                        with_children: bool = False, with_phones: bool = False) -> Opened:
    """The customer if ``user`` may ``purpose`` it, else NotFound (also when it does not exist)."""
    try:
        customer = await get_customer(session, customer_id, with_children=with_children, with_phones=with_phones)
    except NotFound:
        raise hidden(customer_id) from None
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return Opened(customer, "role")
    if customer.assigned_agent_id == user.id:
        return Opened(customer, "assigned")
    call_id = await active_grant(session, user.id, customer_id)
    if call_id is not None:
        if purpose == "read":
            AuditLog(session, user.id).record("call_scoped_read", "customer", customer_id,
                                              customer_id=customer_id, details={"call_id": call_id, "what": what})
        return Opened(customer, "call", call_id)
    task_id = await open_task_grant(session, user.id, customer_id)
    if task_id is None:
        raise hidden(customer_id)
    if purpose == "read":
        AuditLog(session, user.id).record("task_scoped_read", "customer", customer_id,
                                          customer_id=customer_id, details={"task_id": task_id, "what": what})
    return Opened(customer, "task", task_id=task_id)


def agent_filter(user: User) -> int | None:
    """For list queries: the agent whose customers to keep, or None for everyone."""
    return None if user.role in (Role.SUPERVISOR, Role.ADMIN) else user.id
