"""Customers: create, search/browse, the whole record, and edits."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import AfterValidator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui import serialize
from agent_ui.access import agent_filter, open_customer
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, current_user, sees_all, unit_of_work
from agent_ui.duplicates import keep_reason, listed, refusal
from agent_ui.lookups import check_client_status, ensure_campaign
from agent_ui.record_view import record_json
from agent_ui.schemas.common import clean_text
from agent_ui.schemas.customers import ContactCreate, CustomerCreate, CustomerUpdate
from agent_ui.schemas.records import ContactOut, CustomerOut, RecordOut
from agent_ui.schemas.replies import Items, Page
from agent_ui.services import Services
from domain.errors import Conflict, InvalidInput, PermissionDenied
from store.models import Customer, User, utcnow
from store.repositories.audit import AuditLog
from store.repositories.customers import ContactInput, CustomerRepository, check_timezone
from store.repositories.work_list import NextActionFilter, PromiseFilter, SortParam, WorkFilter

router = APIRouter(tags=["customers"], dependencies=[Depends(current_user)])
SearchText = Annotated[str | None, Query(max_length=200), AfterValidator(lambda v: v and clean_text(v))]
_SUPERVISOR_FIELDS = ("assigned_agent", "campaign", "risk_score")


def repository(session: AsyncSession, services: Services) -> CustomerRepository:
    return CustomerRepository(session, services.settings.default_region, services.settings.timezone)


def _supervisor_only(user: User, fields: set[str]) -> None:
    blocked = sorted(fields & set(_SUPERVISOR_FIELDS))
    if blocked and not sees_all(user):
        raise PermissionDenied("only supervisors and admins change these fields",
                               dict.fromkeys(blocked, "forbidden"))


async def customer_json(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    names = await serialize.Names.load(session, [customer.assigned_agent_id], [customer.campaign_id])
    return serialize.customer(customer, names)


@router.post("/api/customers", status_code=status.HTTP_201_CREATED, response_model=CustomerOut)
async def create_customer(body: CustomerCreate, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    _supervisor_only(user, body.model_fields_set - {"assigned_agent"})
    if not sees_all(user) and body.assigned_agent not in (None, user.username):
        raise PermissionDenied("agents create customers for themselves", {"assigned_agent": "forbidden"})
    check_client_status(services, body.status)
    reason = (body.duplicate_reason or "").strip() or None
    async with unit_of_work(services) as session:  # committed: a refusal is audited too
        repo = repository(session, services)
        found = await repo.same_identity(repo.normalise_phones(body.phone, body.phones), body.government_id)
        if found and reason is None:
            AuditLog(session, user.id).record("duplicate_refused", "customer", details={"duplicates": listed(found)})
    if found and reason is None:
        raise refusal(found)
    async with unit_of_work(services) as session:
        repo = repository(session, services)
        customer = await repo.create(
            body.name, body.phone, phones=body.phones, government_id=body.government_id,
            client_id=body.client_id, serial_numbers=body.serial_numbers, timezone=body.timezone,
            email=body.email, region=body.region, status=body.status,
            assigned_agent=body.assigned_agent or (None if sees_all(user) else user.username),
            risk_score=body.risk_score, do_not_call=body.do_not_call,
            alt_contacts_consent=body.alt_contacts_consent,
            contacts=[ContactInput(c.name, c.phone, c.relation, c.relationship, c.email)
                      for c in body.contacts],
        )
        customer.campaign_id = await ensure_campaign(session, services, body.campaign)
        customer.do_not_call_at = utcnow() if body.do_not_call else None
        if found and reason is not None:
            keep_reason(session, customer, user, reason, found)
        AuditLog(session, user.id).record("create", "customer", customer.id, customer_id=customer.id, details={
            "duplicate_of": listed(found), "duplicate_reason": reason} if found else None)
        customer = await repo.get(customer.id, with_children=True)
        result = await customer_json(session, customer)
    return result


@router.get("/api/customers", response_model=Page[CustomerOut])
async def search_customers(
        user: CurrentUser, services: ServicesDep, q: SearchText = None, limit: Limit = 20, offset: Offset = 0,
        sort: Annotated[SortParam, Query(description="a column; '-' first for descending")] = "name",
        min_overdue: Annotated[Decimal | None, Query(ge=0, le=10**12, max_digits=14, decimal_places=2)] = None,
        min_days_past_due: Annotated[int | None, Query(ge=0, le=100_000)] = None,
        max_days_past_due: Annotated[int | None, Query(ge=0, le=100_000)] = None,
        min_risk: Annotated[float | None, Query(ge=0, le=1)] = None,
        promise_state: PromiseFilter | None = None,
        next_action: Annotated[NextActionFilter | None, Query(
            description="due: the next action's time has come; scheduled: has one; none: has none")] = None,
        not_contacted_days: Annotated[int | None, Query(
            ge=0, le=100_000, description="no note for at least this many days (or never)")] = None,
) -> dict[str, Any]:
    """The Customer Follow-Up work list, paged on the server.

    With ``q``: name (partial, any case), any phone in any common format, government ID, client ID,
    serial; exact identifier hits first. Without: every customer the user may see, in ``sort`` order.
    The filters narrow both (AND).
    """
    work = WorkFilter(min_overdue, min_days_past_due, max_days_past_due, min_risk, promise_state, next_action,
                      not_contacted_days)
    async with unit_of_work(services) as session:
        found = await repository(session, services).search(q, limit, agent_filter(user), offset, sort=sort,
                                                           work=work)
        AuditLog(session, user.id).record("search", "customers", details={
            "q": (q or "")[:100], "found": [c.id for c in found][:100], "offset": offset})
        names = await serialize.Names.load(session, [c.assigned_agent_id for c in found],
                                           [c.campaign_id for c in found])
    return {"items": [serialize.customer(c, names) for c in found], "limit": limit, "offset": offset}


@router.get("/api/customers/{customer_id}", response_model=RecordOut)
async def get_customer(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The whole record; every read is written to the audit log."""
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id)
        AuditLog(session, user.id).record("read", "customer", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
        record = await repository(session, services).get_record(customer_id)
        result = await record_json(session, record, opened.why)
    return result


@router.patch("/api/customers/{customer_id}", response_model=CustomerOut)
async def update_customer(customer_id: Id, body: CustomerUpdate, user: CurrentUser,
                          services: ServicesDep) -> dict[str, Any]:
    sent = set(body.model_fields_set)
    _supervisor_only(user, sent)
    for required in ("name", "phone", "timezone"):
        if required in sent and getattr(body, required) is None:
            raise InvalidInput(f"{required} cannot be cleared", {required: "must not be null"})
    check_client_status(services, body.status if "status" in sent else None)
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, purpose="write", with_children=True)
        customer, repo = opened.customer, repository(session, services)
        changes = await _apply(session, services, repo, customer, body, sent)
        AuditLog(session, user.id).record("update", "customer", customer_id, customer_id=customer_id,
                                          details={"changes": changes, "access": opened.why})
        await session.flush()
        result = await customer_json(session, customer)
    return result


async def _apply(session: AsyncSession, services: Services, repo: CustomerRepository, customer: Customer,
                 body: CustomerUpdate, sent: set[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.name is not None:
        customer.name, customer.name_lower = body.name, body.name.casefold()
    if "phone" in sent or "phones" in sent:
        await repo.set_phones(customer, body.phone, body.phones)
    if "serial_numbers" in sent:
        await repo.set_serials(customer, body.serial_numbers or [])
    new_client_id = body.client_id if "client_id" in sent else None
    if new_client_id and new_client_id != customer.client_id and (
            await session.scalar(select(Customer.id).where(Customer.client_id == new_client_id))) is not None:
        raise Conflict(f"client ID {body.client_id!r} is already used", {"client_id": "already used"})
    if body.timezone is not None:
        customer.timezone = check_timezone(body.timezone)
    for name in ("government_id", "client_id", "email", "region", "status"):
        if name in sent:
            setattr(customer, name, getattr(body, name) or None)
    if "risk_score" in sent and body.risk_score is not None:
        customer.risk_score = body.risk_score
    if "campaign" in sent:
        customer.campaign_id = await ensure_campaign(session, services, body.campaign)
    if "assigned_agent" in sent:
        agent = body.assigned_agent
        customer.assigned_agent_id = None if agent is None else await repo.agent_id(agent)
    if body.do_not_call is not None and body.do_not_call != customer.do_not_call:
        customer.do_not_call = body.do_not_call
        customer.do_not_call_at = utcnow() if body.do_not_call else None
        changes["do_not_call"] = body.do_not_call
    if body.alt_contacts_consent is not None and body.alt_contacts_consent != customer.alt_contacts_consent:
        customer.alt_contacts_consent = body.alt_contacts_consent
        changes["alt_contacts_consent"] = body.alt_contacts_consent
    changes["fields"] = sorted(sent)
    return changes


@router.post("/api/customers/{customer_id}/contacts", status_code=status.HTTP_201_CREATED, response_model=ContactOut)
async def add_contact(customer_id: Id, body: ContactCreate, user: CurrentUser,
                      services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        await open_customer(session, user, customer_id, purpose="write")
        contact = await repository(session, services).add_contact(
            customer_id, ContactInput(body.name, body.phone, body.relation, body.relationship, body.email),
            created_by_id=user.id)
        AuditLog(session, user.id).record("create", "contact", contact.id, customer_id=customer_id)
    return serialize.contact(contact)


@router.get("/api/customers/{customer_id}/contacts", response_model=Items[ContactOut])
async def list_contacts(customer_id: Id, user: CurrentUser, services: ServicesDep,
                        include_removed: bool = False) -> dict[str, Any]:
    """The customer's contacts; ``include_removed`` adds the removed ones (marked by ``removed_at``)."""
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, what="contacts", with_children=True)
        AuditLog(session, user.id).record("read", "contacts", customer_id, customer_id=customer_id,
                                          details={"access": opened.why})
    customer = opened.customer
    return {"items": [serialize.contact(c) for c in (customer.contacts if include_removed else customer.live_contacts)]}
