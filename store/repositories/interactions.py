"""Interactions (follow-up notes): validated against the editable lists, with their side effects.

Saving a note may also create a promise to pay (promised amount and date), a callback task
(``callback_at``) and a follow-up task for another operator (seed 004), in the same unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.lists import Lists
from domain.errors import InvalidInput
from domain.validation import assignable
from store.models import Contact, FollowUpTask, Interaction, PromiseToPay, User
from store.repositories.accounts import AccountsRepository

CHANNELS = ("call", "sms", "email", "visit", "note")


@dataclass(frozen=True, slots=True)
class FollowUpInput:
    assignee: str  # username
    due_at: datetime
    instructions: str | None = None


@dataclass(slots=True)
class InteractionInput:
    channel: str = "call"
    direction: str | None = None
    call_id: str | None = None
    activity_type: str | None = None
    reason_code: str | None = None
    status: str | None = None  # the disposition's three layers
    reason: str | None = None
    resolution: str | None = None
    action: str | None = None
    contact_id: int | None = None
    call_result: str | None = None
    call_status: str | None = None
    status_action: str | None = None
    party_response: str | None = None
    promised_amount: Decimal | None = None
    promised_date: date | None = None
    visit_date: date | None = None
    callback_at: datetime | None = None
    comments: str | None = None
    client_status: str | None = None
    send_message: bool = False
    message_template: str | None = None
    message_body: str | None = None
    purpose: str | None = None
    subject: str | None = None
    detail: str | None = None
    call_outcome: str | None = None
    customer_mood: str | None = None
    complete: bool | None = None
    follow_up: FollowUpInput | None = None

    def list_fields(self) -> dict[str, object]:
        """The fields by the names the lists' ``requires`` use (config.lists.common.INTERACTION_FIELDS)."""
        follow = self.follow_up
        return {
            "action": self.action, "call_result": self.call_result, "call_status": self.call_status,
            "status_action": self.status_action, "party_response": self.party_response,
            "promised_amount": self.promised_amount, "promised_date": self.promised_date,
            "visit_date": self.visit_date, "callback_at": self.callback_at, "comments": self.comments,
            "client_status": self.client_status, "send_message": self.send_message or None,
            "template": self.message_template, "purpose": self.purpose, "subject": self.subject,
            "detail": self.detail, "call_outcome": self.call_outcome, "customer_mood": self.customer_mood,
            "follow_up_at": follow.due_at if follow else None,
            "follow_up_assignee": follow.assignee if follow else None,
            "follow_up_instructions": follow.instructions if follow else None,
        }


@dataclass(slots=True)
class SavedInteraction:
    interaction: Interaction
    promise: PromiseToPay | None = None
    tasks: list[FollowUpTask] = field(default_factory=list)


_STORED = ("channel", "direction", "call_id", "activity_type", "reason_code", "action", "contact_id",
           "call_result", "call_status", "status_action", "party_response", "promised_amount",
           "promised_date", "visit_date", "callback_at", "comments", "client_status", "send_message",
           "message_template", "message_body", "purpose", "subject", "detail", "call_outcome",
           "customer_mood")


class InteractionRepository:
    def __init__(self, session: AsyncSession, lists: Lists) -> None:
        self.session = session
        self.lists = lists

    async def validate(self, customer_id: int, data: InteractionInput) -> User | None:
        """Check codes, the disposition path and its required fields; returns the follow-up assignee."""
        if data.channel not in CHANNELS:
            raise InvalidInput("unknown channel", {"channel": f"expected one of: {', '.join(CHANNELS)}"})
        if data.status is None and data.activity_type is not None:
            data.status, data.reason, data.resolution = self.lists.map_activity(data.activity_type)
        if data.contact_id is not None:
            contact = await self.session.get(Contact, data.contact_id)
            if contact is None or contact.customer_id != customer_id:
                raise InvalidInput("unknown contact", {"contact_id": "not a contact of this customer"})
            if contact.removed_at is not None:
                raise InvalidInput(f"{contact.name} was removed from the contacts", {"contact_id": "removed"})
            data.action = data.action or contact.relation.value
        if data.reason_code is not None:
            self.lists.reason(data.reason_code)
        fields = data.list_fields()
        self.lists.validate_note_fields(fields)
        if data.status is not None:
            self.lists.validate_disposition(data.status, data.reason, data.resolution, fields)
        elif data.reason is not None or data.resolution is not None:
            raise InvalidInput("a disposition needs a status", {"disposition.status": "required"})
        if (data.promised_amount is None) != (data.promised_date is None):
            missing = "promised_date" if data.promised_date is None else "promised_amount"
            raise InvalidInput(f"{missing} is required with a promise", {missing: "required with a promise"})
        if data.promised_amount is not None and data.promised_amount <= 0:
            raise InvalidInput("promised amount must be positive", {"promised_amount": "must be > 0"})
        if data.send_message and not (data.message_template or data.message_body):
            raise InvalidInput("a message needs a template or a body",
                               {"message_template": "required when send_message is true"})
        if data.follow_up is None:
            return None
        if data.complete:
            raise InvalidInput("a note with a follow-up is not complete",
                               {"complete": "must be false when follow_up is given"})
        assignee = await self.session.scalar(select(User).where(User.username == data.follow_up.assignee))
        if assignee is None or not assignee.active:
            raise InvalidInput("unknown assignee", {"follow_up.assignee": "no active user with this name"})
        try:
            assignable(assignee.role.value, assignee.username)
        except ValueError as exc:
            raise InvalidInput(str(exc), {"follow_up.assignee": str(exc)}) from exc
        return assignee

    async def create(self, customer_id: int, operator: User, data: InteractionInput) -> SavedInteraction:
        assignee = await self.validate(customer_id, data)
        values: dict[str, Any] = {name: getattr(data, name) for name in _STORED}
        row = Interaction(
            customer_id=customer_id, operator_id=operator.id, disposition_status=data.status,
            disposition_reason=data.reason, disposition_resolution=data.resolution,
            complete=data.follow_up is None if data.complete is None else data.complete, **values,
        )
        self.session.add(row)
        await self.session.flush()
        saved = SavedInteraction(row)
        if data.promised_amount is not None and data.promised_date is not None:
            saved.promise = await AccountsRepository(self.session).add_promise(
                customer_id, data.promised_amount, data.promised_date, assignee_id=operator.id,
                created_by_id=operator.id, notes=data.comments, interaction_id=row.id)
        if data.callback_at is not None:
            saved.tasks.append(self._task(customer_id, operator.id, "callback", data.callback_at,
                                          data.comments, row.id, operator.id))
        if data.follow_up is not None and assignee is not None:
            saved.tasks.append(self._task(customer_id, assignee.id, "follow_up", data.follow_up.due_at,
                                          data.follow_up.instructions, row.id, operator.id))
        await self.session.flush()
        return saved

    def _task(self, customer_id: int, assignee_id: int, kind: str, due_at: datetime,
              instructions: str | None, interaction_id: int, created_by: int) -> FollowUpTask:
        task = FollowUpTask(customer_id=customer_id, assignee_id=assignee_id, kind=kind, due_at=due_at,
                            instructions=instructions, interaction_id=interaction_id,
                            created_by_id=created_by)
        self.session.add(task)
        return task

    async def list(self, customer_id: int, *, channel: str | None = None, kind: str | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   limit: int = 100, offset: int = 0) -> list[Interaction]:
        """Newest first; ``kind`` matches the activity type (seed 002) or the purpose (seed 004)."""
        query: Select[Interaction] = select(Interaction).where(Interaction.customer_id == customer_id)
        if channel is not None:
            query = query.where(Interaction.channel == channel)
        if kind is not None:
            query = query.where((Interaction.activity_type == kind) | (Interaction.purpose == kind))
        if since is not None:
            query = query.where(Interaction.created_at >= since)
        if until is not None:
            query = query.where(Interaction.created_at < until)
        rows = await self.session.scalars(
            query.order_by(Interaction.created_at.desc(), Interaction.id.desc()).offset(offset).limit(limit))
        return list(rows.all())
