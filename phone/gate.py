"""The compliance gate for a transfer to an outside number: the same pure check every dial passes.

The number is looked up among the customers' phones and their contacts, so a do-not-call flag, a
revoked consent, the relation policy and the customer's local calling hours apply; a number of
nobody we know is checked against the calling hours in the default zone. A transfer routes a call
already in progress, so it is checked with the purpose ``service`` (attempt limits count
collections dials, which a transfer is not).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import (
    ALT_CONTACTS_CONSENT,
    Attempt,
    DialContext,
    Pack,
    Relation,
    check,
    customer_zone,
    raise_if_blocked,
)
from store.models import Contact, Customer, CustomerPhone, DialAttempt

HISTORY = timedelta(days=8)
_RELATIONS = frozenset({"customer", "guarantor", "relationship_officer", "alternative_contact"})


def _relation(value: str) -> Relation:
    return value if value in _RELATIONS else "alternative_contact"  # type: ignore[return-value]


async def _owner(session: AsyncSession, e164: str) -> tuple[Customer | None, str]:
    customer = (await session.execute(
        select(Customer).join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.e164 == e164).limit(1))).scalar_one_or_none()
    if customer is not None:
        return customer, "customer"
    row = (await session.execute(
        select(Customer, Contact.relation).join(Contact, Contact.customer_id == Customer.id)
        .where(Contact.phone_e164 == e164).limit(1))).first()
    if row is not None:
        return row[0], str(row[1].value if hasattr(row[1], "value") else row[1])
    return None, "customer"


async def check_transfer_number(session: AsyncSession, pack: Pack, e164: str, *, now: datetime,
                                default_zone: str) -> None:
    """Return when a transfer to ``e164`` is allowed now; raise ComplianceBlocked (409) otherwise."""
    customer, relation = await _owner(session, e164)
    if customer is None:
        context = DialContext(now=now, channel="call", purpose="service", timezone=default_zone,
                              relation=_relation(relation))
    else:
        rows = (await session.scalars(select(DialAttempt).where(
            DialAttempt.customer_id == customer.id, DialAttempt.requested_at >= now - HISTORY))).all()
        history = tuple(Attempt(at=r.requested_at, loan_id=None if r.loan_id is None else str(r.loan_id),
                                conversation=r.conversation, relation=_relation(r.relation)) for r in rows)
        context = DialContext(
            now=now, channel="call", purpose="service", timezone=customer_zone(customer.timezone, default_zone),
            relation=_relation(relation),
            consents=frozenset({ALT_CONTACTS_CONSENT}) if customer.alt_contacts_consent else frozenset(),
            do_not_call=customer.do_not_call, do_not_call_at=customer.do_not_call_at,
            call_consent_revoked_at=customer.call_consent_revoked_at,
            sms_consent_revoked_at=customer.sms_consent_revoked_at, history=history)
    raise_if_blocked(check(pack, context))
