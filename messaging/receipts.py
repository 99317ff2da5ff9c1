"""Delivery reports and inbound SMS, applied to the store.

A report moves its message forward only (domain/message_status.py): a repeated or late report
changes nothing, and a report for an id we do not know is logged and answered 200 (so the provider
stops retrying). An Africa's Talking report naming an id we never received (the answer to our
request was lost) settles the oldest ``unknown`` message sent through it to that number.

An inbound SMS joins the conversation of the customer whose number it came from (like a call:
the customer's phones, then their contacts' numbers). A stop word (the pack's: STOP, and ACHA in
Kenya) from the customer's own number revokes their SMS consent at once, and a confirmation is
sent, the one SMS that passes a revoked consent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from config.lists import Lists
from domain.compliance import CONSENT_REVOKED
from domain.compliance.messages import MessagePolicy
from domain.message_status import DELIVERED, QUEUED, RECEIVED, SENT
from domain.phone import to_e164
from messaging.reports import DeliveryReport, InboundSms
from messaging.segments import measure
from store.db import Database
from store.models import Contact, Customer, CustomerPhone, Message
from store.repositories.messages import MessageRepository

log = logging.getLogger(__name__)
LOST_ANSWER_WINDOW = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Applied:
    message: Message | None
    changed: bool


async def apply_report(database: Database, report: DeliveryReport, now: datetime, *, region: str) -> Applied:
    async with database.session() as session:
        repo = MessageRepository(session)
        message = await repo.by_provider_id(report.provider, report.provider_message_id)
        values: dict[str, object] = {"updated_at": now}
        if message is None and report.provider == "africastalking" and report.phone:
            e164 = to_e164(report.phone, region) or report.phone
            message = await repo.oldest_unknown_to(report.provider, e164, now - LOST_ANSWER_WINDOW)
            if message is not None:
                values["provider_message_id"] = report.provider_message_id
        if message is None:
            log.warning("delivery report for an unknown %s message %r (%s): ignored", report.provider,
                        report.provider_message_id, report.status)
            return Applied(None, False)
        if report.reason:
            values["reason"] = f"{report.provider}: {report.reason}"[:500]
        if report.cost:
            values["cost"] = report.cost[:32]
        if report.status in (SENT, DELIVERED):
            values["sent_at"] = message.sent_at or now
        if report.status == DELIVERED:
            values["delivered_at"] = now
        changed = await repo.report(message.id, report.status, values)
        if changed:
            await session.refresh(message)
        return Applied(message, changed)


@dataclass(frozen=True, slots=True)
class Received:
    message: Message
    customer: Customer | None
    opted_out: bool
    confirmation: Message | None
    repeated: bool = False


async def _sender_of(session: AsyncSession, e164: str) -> tuple[Customer | None, Contact | None]:
    customer = await session.scalar(
        select(Customer).join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.e164 == e164).order_by(Customer.id).limit(1))
    if customer is not None:
        return customer, None
    contact = await session.scalar(select(Contact).where(Contact.phone_e164 == e164)
                                   .options(selectinload(Contact.customer)).order_by(Contact.id).limit(1))
    return (contact.customer, contact) if contact is not None else (None, None)


def opt_out_confirmation(lists: Lists) -> str:
    text = ("{company}: you will get no more SMS from us. To get them again, call {support_phone}.")
    return lists.render(text, {}, strict=False)


async def receive_sms(database: Database, sms: InboundSms, *, policy: MessagePolicy, lists: Lists, region: str,
                      now: datetime) -> Received:
    e164 = to_e164(sms.from_number, region) or sms.from_number
    async with database.session() as session:
        repo = MessageRepository(session)
        seen = await repo.by_provider_id("africastalking", sms.provider_message_id)
        if seen is not None:
            return Received(seen, None, False, None, repeated=True)
        customer, contact = await _sender_of(session, e164)
        message = await repo.add(Message(
            customer_id=customer.id if customer else None, contact_id=contact.id if contact else None,
            direction="inbound", channel="sms", relation=contact.relation.value if contact else "customer",
            to_address=sms.to or "-", from_address=e164, body=sms.text[:5000], status=RECEIVED,
            provider="africastalking", provider_message_id=sms.provider_message_id,
            segments=measure(sms.text).segments, encoding=measure(sms.text).encoding, created_at=now, updated_at=now))
        opted_out = customer is not None and contact is None and policy.is_stop(sms.text)
        confirmation = None
        if opted_out and customer is not None:
            if customer.sms_consent_revoked_at is None:
                customer.sms_consent_revoked_at = now
            why = f"the customer replied {sms.text.strip()[:20]!r}: SMS consent revoked"
            await repo.block_queued(customer.id, "sms", CONSENT_REVOKED, why, now)
            text = opt_out_confirmation(lists)
            length = measure(text)
            confirmation = await repo.add(Message(
                customer_id=customer.id, direction="outbound", channel="sms", relation="customer", to_address=e164,
                body=text, status=QUEUED, reason=f"confirms the opt-out ({sms.text.strip()[:20]})",
                segments=length.segments, encoding=length.encoding, not_before=now, created_at=now, updated_at=now))
        return Received(message, customer, opted_out, confirmation)

