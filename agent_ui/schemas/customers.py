"""Customer bodies: create, partial update, contacts and assignment."""

from __future__ import annotations

from pydantic import Field

from agent_ui.schemas.common import Body, DbId, Email, LongText, Name, Phone, Str64
from store.models import Relation


class ContactCreate(Body):
    name: Name
    phone: Phone
    relationship: Str64 | None = None  # "brother", "employer" ...
    relation: Relation = Relation.ALTERNATIVE_CONTACT
    email: Email | None = None


class ContactUpdate(Body):
    """A partial edit of a contact: only the keys sent change; ``relationship`` and ``email`` may be cleared."""

    name: Name | None = None
    phone: Phone | None = None
    relationship: Str64 | None = None
    relation: Relation | None = None
    email: Email | None = None


class CustomerCreate(Body):
    name: Name
    phone: Phone
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    government_id: Str64 | None = None
    client_id: Str64 | None = None
    serial_numbers: list[Str64] = Field(default_factory=list, max_length=50)
    timezone: Str64 | None = None
    email: Email | None = None
    region: Str64 | None = None
    status: Str64 | None = None  # client status code (follow-up lists)
    campaign: Str64 | None = None
    assigned_agent: Str64 | None = None  # username
    risk_score: float = Field(default=0.0, ge=0.0, le=1.0)
    do_not_call: bool = False
    alt_contacts_consent: bool = False
    contacts: list[ContactCreate] = Field(default_factory=list, max_length=20)
    # Why a customer whose phone or government ID is already on record is created anyway (stored
    # as a note on the new record); without it such a create is refused with duplicate-customer.
    duplicate_reason: LongText | None = Field(default=None, min_length=3)


class CustomerUpdate(Body):
    """Only the keys sent are changed; ``null`` clears an optional field."""

    name: Name | None = None
    phone: Phone | None = None
    phones: list[Phone] | None = Field(default=None, max_length=10)
    government_id: Str64 | None = None
    client_id: Str64 | None = None
    serial_numbers: list[Str64] | None = Field(default=None, max_length=50)
    timezone: Str64 | None = None
    email: Email | None = None
    region: Str64 | None = None
    status: Str64 | None = None
    campaign: Str64 | None = None
    assigned_agent: Str64 | None = None
    risk_score: float | None = Field(default=None, ge=0.0, le=1.0)
    do_not_call: bool | None = None
    alt_contacts_consent: bool | None = None


class AssigneeBody(Body):
    agent: Str64 | None  # username, or null to unassign


class BulkAssignment(Body):
    customer_ids: list[DbId] = Field(min_length=1, max_length=10_000)
    agent: Str64 | None


class CampaignAgents(Body):
    agents: list[Str64] = Field(max_length=1000)
