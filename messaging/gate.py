"""The messaging side of the compliance gate: a MessageContext from the customer and the contact."""

from __future__ import annotations

from datetime import datetime

from domain.compliance import ALT_CONTACTS_CONSENT, Decision, Pack, Relation, customer_zone
from domain.compliance.messages import MessageChannel, MessageContext, check_message
from store.models import Customer

RELATIONS: frozenset[str] = frozenset({"customer", "guarantor", "relationship_officer", "alternative_contact"})


def relation_of(value: str) -> Relation:
    return value if value in RELATIONS else "alternative_contact"  # type: ignore[return-value]


def context_for(customer: Customer, *, channel: MessageChannel, relation: str, about_debt: bool, now: datetime,
                default_zone: str) -> MessageContext:
    return MessageContext(
        now=now, channel=channel, timezone=customer_zone(customer.timezone, default_zone),
        purpose="collections" if about_debt else "service", relation=relation_of(relation), about_debt=about_debt,
        consents=frozenset({ALT_CONTACTS_CONSENT}) if customer.alt_contacts_consent else frozenset(),
        do_not_call=customer.do_not_call, do_not_call_at=customer.do_not_call_at,
        sms_consent_revoked_at=customer.sms_consent_revoked_at,
    )


def decide(pack: Pack, customer: Customer, *, channel: MessageChannel, relation: str, about_debt: bool,
           now: datetime, default_zone: str) -> Decision:
    return check_message(pack, context_for(customer, channel=channel, relation=relation, about_debt=about_debt,
                                           now=now, default_zone=default_zone))
