"""Compose a message and write it to the outbox, in the caller's transaction.

:meth:`Composer.compose` resolves the recipient (the customer's primary phone or email, or one of
their contacts), renders the template with the record's values, measures the SMS and asks the
compliance gate. :meth:`Composer.queue` writes the row: ``queued`` (a sender will pick it up) or
``blocked`` (with the gate's rule and reason). Nothing is sent here, and nothing waits on a provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.lists import Lists
from config.settings import Settings
from domain.compliance import Blocked, Pack, customer_zone
from domain.compliance.localtime import local_date, zone
from domain.compliance.messages import hours_end
from domain.errors import InvalidInput
from domain.message_status import BLOCKED, QUEUED
from messaging.gate import decide
from messaging.segments import SmsLength, measure
from messaging.templates import record_values, uses_debt_variables
from store.models import Attachment, Contact, Customer, Message

Channel = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class Draft:
    """What is asked for: a template, or a body (the agent's text; it wins over the template's)."""

    channel: Channel
    template: str | None = None
    body: str | None = None
    subject: str | None = None
    contact_id: int | None = None
    attachment_ids: tuple[int, ...] = ()
    values: Mapping[str, object] = field(default_factory=dict)  # a note's promise, callback ...


@dataclass(frozen=True, slots=True)
class Composed:
    text: str
    subject: str | None
    to_address: str
    relation: str
    contact_id: int | None
    about_debt: bool
    length: SmsLength | None  # SMS only
    blocked: Blocked | None


class Composer:
    def __init__(self, settings: Settings, lists: Callable[[], Lists], pack: Pack,
                 clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.lists = lists
        self.pack = pack
        self.clock = clock

    async def compose(self, session: AsyncSession, customer: Customer, draft: Draft, *,
                      agent_name: str | None, preview: bool = False) -> Composed:
        """What would be sent, and the gate's answer. ``preview``: a subject is not required yet.
        The customer's phones, contacts and serials are read when needed and not loaded yet."""
        lists = self.lists()
        await ensure_loaded(session, customer, ["phones"] + (["contacts"] if draft.contact_id else [])
                            + (["serials"] if draft.template else []))
        to_address, relation, contact_id = self._recipient(customer, draft)
        template = None
        if draft.template is not None:
            template = lists.template(draft.template)
            if template.channel != draft.channel:
                raise InvalidInput(f"template {template.code!r} is for {template.channel}, not {draft.channel}",
                                   {"template": f"an {draft.channel} template is needed"})
        if template is None and not (draft.body or "").strip():
            raise InvalidInput("a message needs a template or a body", {"body": "write the message or pick a template"})
        now = self.clock()
        values: dict[str, object] = {}
        if template is not None:  # the record's figures are read only for a template
            values = await record_values(session, customer, agent_name=agent_name, currency=self.settings.currency,
                                         today=local_date(now, zone(self.settings.timezone)), extra=draft.values)
        try:
            rendered = lists.render(template.body, values, field="template") if template else None
        except InvalidInput:
            # A variable without a value: a rule that never passes for this recipient is the answer
            # that matters (nothing about the debt to a guarantor), not the missing figure.
            assert template is not None
            never = decide(self.pack, customer, channel=draft.channel, relation=relation,
                           about_debt=uses_debt_variables(template.body), now=now,
                           default_zone=self.settings.timezone)
            if not isinstance(never, Blocked) or never.next_allowed_at is not None:
                raise
            text = lists.render(template.body, values, strict=False)
            return Composed(text=text, subject=draft.subject, to_address=to_address, relation=relation,
                            contact_id=contact_id, about_debt=True, blocked=never,
                            length=measure(text) if draft.channel == "sms" else None)
        text = draft.body.strip() if draft.body and draft.body.strip() else (rendered or "")
        about_debt = uses_debt_variables(template.body) if template and text == rendered else True
        subject = draft.subject
        if draft.channel == "email" and not subject and template is not None and template.subject:
            subject = lists.render(template.subject, values, field="template")
        if draft.channel == "email" and not subject and not preview:
            raise InvalidInput("an email needs a subject", {"subject": "required for an email"})
        if draft.channel == "sms" and draft.attachment_ids:
            raise InvalidInput("an SMS cannot carry attachments", {"attachment_ids": "email only"})
        decision = decide(self.pack, customer, channel=draft.channel, relation=relation, about_debt=about_debt,
                          now=now, default_zone=self.settings.timezone)
        return Composed(text=text, subject=subject, to_address=to_address, relation=relation, contact_id=contact_id,
                        about_debt=about_debt, length=measure(text) if draft.channel == "sms" else None,
                        blocked=decision if isinstance(decision, Blocked) else None)

    def _recipient(self, customer: Customer, draft: Draft) -> tuple[str, str, int | None]:
        if draft.contact_id is not None:
            contact: Contact | None = next((c for c in customer.live_contacts if c.id == draft.contact_id), None)
            if contact is None:
                raise InvalidInput("unknown contact", {"contact_id": "not a contact of this customer"})
            address = contact.phone_e164 if draft.channel == "sms" else contact.email
            if not address:
                raise InvalidInput(f"{contact.name} has no {'phone' if draft.channel == 'sms' else 'email address'}",
                                   {"contact_id": "no address for this channel"})
            return address, contact.relation.value, contact.id
        if draft.channel == "sms":
            if not customer.phones:
                raise InvalidInput(f"{customer.name} has no phone number", {"contact_id": "no phone on record"})
            return customer.phones[0].e164, "customer", None
        if not customer.email:
            raise InvalidInput(f"{customer.name} has no email address on record", {"contact_id": "no email on record"})
        return customer.email, "customer", None

    async def queue(self, session: AsyncSession, customer: Customer, draft: Draft, *, agent_name: str | None,
                    created_by_id: int | None, interaction_id: int | None = None, bulk_id: int | None = None,
                    priority: int = 0) -> Message:
        """Write the message (``queued`` or ``blocked``) in ``session``'s transaction."""
        await check_attachments(session, customer.id, draft.attachment_ids)
        composed = await self.compose(session, customer, draft, agent_name=agent_name)
        blocked = composed.blocked
        now = self.clock()
        message = Message(
            customer_id=customer.id, contact_id=composed.contact_id, interaction_id=interaction_id, bulk_id=bulk_id,
            direction="outbound", channel=draft.channel, relation=composed.relation, to_address=composed.to_address,
            template=draft.template, subject=composed.subject, body=composed.text,
            attachment_ids=list(draft.attachment_ids), status=BLOCKED if blocked else QUEUED,
            rule=blocked.rule if blocked else None, reason=blocked.message if blocked else None,
            next_allowed_at=blocked.next_allowed_at if blocked else None,
            segments=composed.length.segments if composed.length else 1,
            encoding=composed.length.encoding if composed.length else None,
            priority=priority, not_before=now, created_by_id=created_by_id, created_at=now, updated_at=now,
            not_after=None if blocked else hours_end(self.pack, now, customer_zone(customer.timezone,
                                                                                  self.settings.timezone)))
        session.add(message)
        await session.flush()
        return message


async def ensure_loaded(session: AsyncSession, customer: Customer, names: list[str]) -> None:
    missing = [name for name in names if name in inspect(customer).unloaded]
    if missing:
        await session.refresh(customer, attribute_names=missing)


async def check_attachments(session: AsyncSession, customer_id: int, ids: Sequence[int]) -> None:
    if not ids:
        return
    found = set((await session.scalars(select(Attachment.id).where(
        Attachment.id.in_(list(ids)), Attachment.customer_id == customer_id))).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput("unknown attachment", {"attachment_ids": f"not documents of this customer: {missing}"})
