"""The incoming search for a caller on a live call (issue 15, item 2; seed 001's "Existing client?").

While the agent has a live inbound call (ringing, talking, wrapping up, or the call offered to them
has just ended and the incoming panel is still open for it), ``GET /api/caller-search`` covers every
customer and shows only what confirms an identity; ``POST /api/caller-search/grant`` opens the
chosen customer to the agent for that call, like the screen-pop does, and audits it. Outside such
a call the search is refused (the desk then searches the agent's own customers), and the grant
answers another agent's customer exactly as a missing one (404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator

from agent_ui.access import hidden
from agent_ui.deps import CurrentUser, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.schemas.callers import CallerPick, CallerPickOut, CallerSearchOut, CallId
from agent_ui.schemas.common import clean_text
from domain.errors import Conflict
from store.models import Customer, utcnow
from store.repositories.access import grant_call_access, live_inbound_call
from store.repositories.audit import AuditLog
from store.repositories.customers import CustomerRepository

router = APIRouter(tags=["customers"], dependencies=[Depends(current_user)])
GRANT = timedelta(minutes=30)  # as long as the screen-pop's grant
MAX_FOUND = 10
Wanted = Annotated[str, Query(min_length=3, max_length=200), AfterValidator(clean_text)]


def masked(e164: str | None) -> str | None:
    """All but the country code and the last three digits hidden: ``+254*******678``."""
    if not e164:
        return None
    head = 4 if e164.startswith("+") else 0
    return e164[:head] + "*" * max(len(e164) - head - 3, 0) + e164[-3:]


def caller(c: Customer) -> dict[str, Any]:
    phones = [p.e164 for p in c.phones]
    return {"customer_id": c.id, "name": c.name, "phone_masked": masked(phones[0] if phones else None),
            "client_id": c.client_id, "id_last3": c.government_id[-3:] if c.government_id else None}


def no_live_call() -> Conflict:
    return Conflict("You have no live inbound call with this id: the search covers your own customers only.",
                    {"call_id": "not a live inbound call of yours"})


@router.get("/api/caller-search", response_model=CallerSearchOut)
async def search_callers(call_id: Annotated[CallId, Query()], q: Wanted, user: CurrentUser,
                         services: ServicesDep) -> dict[str, Any]:
    """Name (partial), any phone, government ID, client ID or serial, over every customer."""
    async with unit_of_work(services) as session:
        if not sees_all(user) and not await live_inbound_call(
                session, user.id, call_id, wrapup=timedelta(seconds=services.settings.wrapup_seconds)):
            raise no_live_call()
        repo = CustomerRepository(session, services.settings.default_region, services.settings.timezone)
        found = await repo.search(q, MAX_FOUND, None)
        AuditLog(session, user.id).record("caller_search", "customers", details={
            "call_id": call_id, "q": q[:100], "found": [c.id for c in found]})
    return {"call_id": call_id, "items": [caller(c) for c in found]}


@router.post("/api/caller-search/grant", response_model=CallerPickOut)
async def grant_caller(body: CallerPick, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The agent confirmed who is calling: open that customer to them for the call (audited)."""
    async with unit_of_work(services) as session:
        customer = await session.get(Customer, body.customer_id)
        if customer is None:
            raise hidden(body.customer_id)
        if sees_all(user) or customer.assigned_agent_id == user.id:
            return {"customer_id": customer.id, "call_id": body.call_id, "until": None,
                    "access": "role" if sees_all(user) else "assigned"}
        if not await live_inbound_call(session, user.id, body.call_id,
                                       wrapup=timedelta(seconds=services.settings.wrapup_seconds)):
            raise hidden(body.customer_id)
        until = utcnow() + GRANT
        await grant_call_access(session, user.id, [customer.id], body.call_id, until)
        AuditLog(session, user.id).record("call_scoped_grant", "customer", customer.id, customer_id=customer.id,
                                          details={"call_id": body.call_id, "via": "incoming_search"})
    return {"customer_id": body.customer_id, "call_id": body.call_id, "until": until.isoformat(),
            "access": "call"}


