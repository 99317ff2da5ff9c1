"""The conversation API: send an SMS or email to a customer, read their conversation, preview a
text (its SMS parts), and whether SMS and email are on (with each provider's circuit state).

``POST /api/customers/{id}/messages`` answers 202 once the message is committed (``queued``); it
never waits on a provider. A message the compliance gate refuses is stored ``blocked`` and
answered 409 ``compliance-blocked`` (details: ``rule``, ``next_allowed_at``, ``message_id``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import Field as PydanticField

from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, current_user, unit_of_work
from agent_ui.schemas.common import Body, DbId, LongText, Str64, Str200
from agent_ui.schemas.messaging import MessageOut, MessagesPageOut, MessagingStatusOut, PreviewOut
from agent_ui.services import Services, require
from domain.errors import ComplianceBlocked
from messaging.outbox import Draft
from messaging.segments import charged_warning, measure
from messaging.service import MessagingService
from store.models import Message, User
from store.repositories.audit import AuditLog
from store.repositories.customers import get_customer
from store.repositories.messages import MessageRepository

router = APIRouter(tags=["messaging"], dependencies=[Depends(current_user)])


def messaging_of(services: Services) -> MessagingService:
    return require(services.messaging, "messaging")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def message_json(m: Message, sent_by: str | None = None) -> dict[str, Any]:
    return {
        "id": m.id, "customer_id": m.customer_id, "contact_id": m.contact_id, "interaction_id": m.interaction_id,
        "bulk_id": m.bulk_id, "direction": m.direction, "channel": m.channel, "relation": m.relation,
        "to": m.to_address, "from": m.from_address, "template": m.template, "subject": m.subject, "body": m.body,
        "attachment_ids": list(m.attachment_ids or []), "status": m.status, "rule": m.rule, "reason": m.reason,
        "next_allowed_at": _iso(m.next_allowed_at), "provider": m.provider,
        "provider_message_id": m.provider_message_id, "cost": m.cost, "segments": m.segments,
        "encoding": m.encoding, "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at),
        "delivered_at": _iso(m.delivered_at), "updated_at": _iso(m.updated_at), "sent_by": sent_by,
    }


class MessageBody(Body):
    channel: Literal["sms", "email"] = "sms"
    template: Str64 | None = None
    body: LongText | None = None
    subject: Str200 | None = None
    contact_id: DbId | None = None
    attachment_ids: Annotated[list[DbId], PydanticField(max_length=10)] = []

    def draft(self) -> Draft:
        return Draft(channel=self.channel, template=self.template, body=self.body, subject=self.subject,
                     contact_id=self.contact_id, attachment_ids=tuple(dict.fromkeys(self.attachment_ids)))


class PreviewBody(Body):
    channel: Literal["sms", "email"] = "sms"
    body: LongText | None = None
    template: Str64 | None = None
    customer_id: DbId | None = None
    contact_id: DbId | None = None


@router.post("/api/customers/{customer_id}/messages", status_code=status.HTTP_202_ACCEPTED,
             response_model=MessageOut)
async def send_message(customer_id: Id, body: MessageBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Queue an SMS or email to the customer (their primary phone or email, or ``contact_id``)."""
    service = messaging_of(services)
    async with unit_of_work(services) as session:
        # the phones with the customer's row: the composer needs them (one statement, not a refresh and a load)
        opened = await open_customer(session, user, customer_id, purpose="write", with_phones=True)
        message = await service.queue(session, opened.customer, body.draft(), agent=user)
        AuditLog(session, user.id).record("create", "message", message.id, customer_id=customer_id,
                                          details={"channel": message.channel, "status": message.status})
        result = message_json(message, user.username)
    await service.committed(message)
    if message.status == "blocked":
        raise ComplianceBlocked(f"not sent: {message.reason}", {
            "rule": message.rule, "next_allowed_at": _iso(message.next_allowed_at), "message_id": message.id})
    return result


@router.get("/api/customers/{customer_id}/messages", response_model=MessagesPageOut)
async def conversation(customer_id: Id, user: CurrentUser, services: ServicesDep, limit: Limit = 100,
                       offset: Offset = 0) -> dict[str, Any]:
    """Both ways, newest first."""
    async with unit_of_work(services) as session:
        await open_customer(session, user, customer_id, what="messages")
        rows = await MessageRepository(session).conversation(customer_id, limit=limit, offset=offset)
        senders = {r.created_by_id for r in rows if r.created_by_id is not None}
        names: dict[int, str] = {}
        for sender_id in senders:
            person = await session.get(User, sender_id)
            if person is not None:
                names[person.id] = person.username
    return {"items": [message_json(r, names.get(r.created_by_id or 0)) for r in rows], "limit": limit,
            "offset": offset}


@router.post("/api/messages/preview", response_model=PreviewOut)
async def preview(body: PreviewBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """``{"text", "encoding", "characters", "segments", "per_segment"}`` (+ ``warning`` when over one
    part; with a customer, the template filled from their record and the gate's ``blocked``)."""
    service = messaging_of(services)
    blocked = None
    subject = None
    if body.customer_id is not None:
        async with unit_of_work(services) as session:
            await open_customer(session, user, body.customer_id, what="message preview")
            customer = await get_customer(session, body.customer_id, with_children=True)
            composed = await service.composer.compose(
                session, customer, Draft(channel=body.channel, template=body.template, body=body.body,
                                         contact_id=body.contact_id),
                agent_name=user.display_name, preview=True)
        text, subject = composed.text, composed.subject if body.channel == "email" else None
        if composed.blocked is not None:
            blocked = {"rule": composed.blocked.rule, "message": composed.blocked.message,
                       "next_allowed_at": _iso(composed.blocked.next_allowed_at)}
    else:
        lists = services.lists
        template = lists.template(body.template) if body.template else None
        text = body.body if body.body else (lists.render(template.body, {}, strict=False) if template else "")
    length = measure(text)
    return {**length.to_json(), "warning": charged_warning(length.segments) if body.channel == "sms" else None,
            "channel": body.channel, "subject": subject, "blocked": blocked}


@router.get("/api/messaging/status", response_model=MessagingStatusOut)
async def messaging_status(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Whether SMS and email are on, and each SMS provider's circuit (closed, open, half_open)."""
    del user  # any signed-in user (the desk greys its buttons, the supervisor sees the circuits)
    service = messaging_of(services)
    settings = services.settings
    return {"sms": {"on": settings.sms.enabled, "providers": await service.breakers.states()},
            "email": {"on": settings.smtp.enabled, "from": settings.smtp.from_address or None}}

