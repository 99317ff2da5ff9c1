"""Editing and removing a customer's contacts (issue 15 item 11).

A removed contact is kept, marked removed (who, when): it is no longer offered for calls or messages, and the
record lists it under its removed contacts. An edit keeps the old values in the audit log's details."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui import serialize
from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, ServicesDep, current_user, unit_of_work
from agent_ui.schemas.customers import ContactUpdate
from agent_ui.schemas.records import ContactOut
from domain.errors import Conflict, InvalidInput, NotFound
from domain.phone import require_e164
from store.models import Contact, utcnow
from store.repositories.audit import AuditLog

router = APIRouter(tags=["customers"], dependencies=[Depends(current_user)])
_FIELDS = {"name": "name", "relationship": "relationship_label", "phone": "phone_e164", "email": "email",
           "relation": "relation"}


async def _contact(session: AsyncSession, customer_id: int, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        raise NotFound(f"No contact {contact_id} was found for this customer", {"contact_id": "not found"})
    if contact.removed_at is not None:
        raise Conflict(f"{contact.name} was removed; add them again instead", {"contact_id": "removed"})
    return contact


def _values(contact: Contact) -> dict[str, Any]:
    return {key: getattr(contact, attr) for key, attr in _FIELDS.items()}


@router.patch("/api/customers/{customer_id}/contacts/{contact_id}", response_model=ContactOut)
async def update_contact(customer_id: Id, contact_id: Id, body: ContactUpdate, user: CurrentUser,
                         services: ServicesDep) -> dict[str, Any]:
    """Change a contact's name, relationship, phone, email or relation; the old values go to the audit log."""
    sent = set(body.model_fields_set)
    for required in ("name", "phone", "relation"):
        if required in sent and getattr(body, required) is None:
            raise InvalidInput(f"{required} cannot be cleared", {required: "must not be null"})
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, purpose="write")
        contact = await _contact(session, customer_id, contact_id)
        before = _values(contact)
        if body.name is not None:
            contact.name = body.name
        if body.phone is not None:
            contact.phone_e164 = require_e164(body.phone, services.settings.default_region, "phone")
        if body.relation is not None:
            contact.relation = body.relation
        if "relationship" in sent:
            contact.relationship_label = body.relationship or None
        if "email" in sent:
            contact.email = body.email or None
        after = _values(contact)
        changed = sorted(k for k in _FIELDS if before[k] != after[k])
        AuditLog(session, user.id).record("update", "contact", contact.id, customer_id=customer_id, details={
            "before": {k: str(before[k]) if before[k] is not None else None for k in changed},
            "after": {k: str(after[k]) if after[k] is not None else None for k in changed},
            "access": opened.why})
        await session.flush()
        result = serialize.contact(contact)
    return result


@router.delete("/api/customers/{customer_id}/contacts/{contact_id}", response_model=ContactOut)
async def remove_contact(customer_id: Id, contact_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Mark a contact removed (kept for history, no longer dialled or messaged); answers the removed contact."""
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, purpose="write")
        contact = await _contact(session, customer_id, contact_id)
        contact.removed_at, contact.removed_by_id = utcnow(), user.id
        AuditLog(session, user.id).record("remove", "contact", contact.id, customer_id=customer_id, details={
            "contact": {k: str(v) if v is not None else None for k, v in _values(contact).items()},
            "access": opened.why})
        await session.flush()
        result = serialize.contact(contact)
    return result
