"""JSON views of stored rows. Money is a decimal string ("1500.00"); times are ISO 8601 UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    Attachment,
    Campaign,
    Contact,
    Customer,
    FollowUpTask,
    Interaction,
    Loan,
    PromiseToPay,
    StatementTransaction,
    User,
)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


class Names:
    """Usernames and campaign codes for ids, fetched once per response."""

    def __init__(self, users: dict[int, str], campaigns: dict[int, str]) -> None:
        self.users = users
        self.campaigns = campaigns

    def user(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.users.get(user_id)

    def campaign(self, campaign_id: int | None) -> str | None:
        return None if campaign_id is None else self.campaigns.get(campaign_id)

    @classmethod
    async def load(cls, session: AsyncSession, user_ids: Iterable[int | None],
                   campaign_ids: Iterable[int | None] = ()) -> Names:
        uids = {i for i in user_ids if i is not None}
        cids = {i for i in campaign_ids if i is not None}
        users = dict((await session.execute(select(User.id, User.username).where(User.id.in_(uids))))
                     .tuples().all()) if uids else {}
        campaigns = dict((await session.execute(
            select(Campaign.id, Campaign.code).where(Campaign.id.in_(cids)))).tuples().all()) if cids else {}
        return cls(users, campaigns)


def customer(c: Customer, names: Names) -> dict[str, Any]:
    """``phones`` and ``serials`` must be loaded."""
    phones = [p.e164 for p in c.phones]
    return {
        "id": c.id, "name": c.name, "phone": phones[0] if phones else None, "phones": phones,
        "government_id": c.government_id, "client_id": c.client_id,
        "serial_numbers": [s.serial for s in c.serials], "timezone": c.timezone, "email": c.email,
        "region": c.region, "status": c.status, "campaign": names.campaign(c.campaign_id),
        "assigned_agent": names.user(c.assigned_agent_id), "risk_score": c.risk_score,
        "do_not_call": c.do_not_call, "alt_contacts_consent": c.alt_contacts_consent,
        "created_at": iso(c.created_at), "updated_at": iso(c.updated_at),
        "overdue_amount": money(c.overdue_amount) or "0.00", "days_past_due": c.days_past_due or 0,
        "last_contact_at": iso(c.last_contact_at), "next_action_at": iso(c.next_action_at),
        "next_action_kind": c.next_action_kind, "promise_state": c.promise_state or "none",
    }


def contact(c: Contact) -> dict[str, Any]:
    return {"id": c.id, "customer_id": c.customer_id, "relation": c.relation.value, "name": c.name,
            "relationship": c.relationship_label, "phone": c.phone_e164, "email": c.email,
            "created_at": iso(c.created_at), "removed_at": iso(c.removed_at)}


def loan(row: Loan) -> dict[str, Any]:
    """``installments`` must be loaded."""
    return {
        "id": row.id, "external_ref": row.external_ref, "product": row.product,
        "applied_amount": money(row.applied_amount), "principal": money(row.principal),
        "interest_amount": money(row.interest_amount), "balance": money(row.balance),
        "start_date": iso(row.start_date), "end_date": iso(row.end_date),
        "days_past_due": row.days_past_due, "overdue_amount": money(row.overdue_amount),
        "status": row.status, "currency": row.currency,
        "schedule": [{"number": i.number, "due_date": iso(i.due_date), "principal": money(i.principal),
                      "interest": money(i.interest), "total": money(i.principal + i.interest),
                      "paid_amount": money(i.paid_amount), "paid_at": iso(i.paid_at)}
                     for i in row.installments],
    }


def transaction(t: StatementTransaction, running_balance: Decimal | None = None) -> dict[str, Any]:
    body = {"id": t.id, "external_ref": t.external_ref, "loan_id": t.loan_id, "posted_at": iso(t.posted_at),
            "direction": t.direction.value, "kind": t.kind, "amount": money(t.amount),
            "receipt_code": t.receipt_code, "description": t.description}
    if running_balance is not None:
        body["running_balance"] = money(running_balance)
    return body


def promise(p: PromiseToPay, names: Names) -> dict[str, Any]:
    return {"id": p.id, "customer_id": p.customer_id, "loan_id": p.loan_id, "amount": money(p.amount),
            "due_date": iso(p.due_date), "assignee": names.user(p.assignee_id),
            "created_by": names.user(p.created_by_id), "interaction_id": p.interaction_id,
            "notes": p.notes, "status": p.status.value, "paid_amount": money(p.paid_amount),
            "matched_transaction_id": p.matched_transaction_id, "settled_at": iso(p.settled_at),
            "created_at": iso(p.created_at), "source": p.source}


def task(t: FollowUpTask, names: Names) -> dict[str, Any]:
    return {"id": t.id, "customer_id": t.customer_id, "assignee": names.user(t.assignee_id), "kind": t.kind,
            "due_at": iso(t.due_at), "instructions": t.instructions, "done": t.done,
            "done_at": iso(t.done_at), "interaction_id": t.interaction_id,
            "created_by": names.user(t.created_by_id), "created_at": iso(t.created_at)}


def interaction(i: Interaction, names: Names) -> dict[str, Any]:
    return {
        "id": i.id, "customer_id": i.customer_id, "channel": i.channel, "direction": i.direction,
        "operator": names.user(i.operator_id), "created_at": iso(i.created_at), "call_id": i.call_id,
        "activity_type": i.activity_type, "reason_code": i.reason_code,
        "disposition": {"status": i.disposition_status, "reason": i.disposition_reason,
                        "resolution": i.disposition_resolution},
        "action": i.action, "contact_id": i.contact_id, "call_result": i.call_result,
        "call_status": i.call_status, "status_action": i.status_action, "party_response": i.party_response,
        "promised_amount": money(i.promised_amount), "promised_date": iso(i.promised_date),
        "visit_date": iso(i.visit_date), "callback_at": iso(i.callback_at), "comments": i.comments,
        "client_status": i.client_status, "send_message": i.send_message,
        "message_template": i.message_template, "message_body": i.message_body,
        "message_sent": i.message_sent, "purpose": i.purpose, "subject": i.subject, "detail": i.detail,
        "call_outcome": i.call_outcome, "customer_mood": i.customer_mood, "complete": i.complete,
    }


def attachment(a: Attachment, names: Names) -> dict[str, Any]:
    return {"id": a.id, "customer_id": a.customer_id, "interaction_id": a.interaction_id, "kind": a.kind,
            "filename": a.filename, "content_type": a.content_type, "size_bytes": a.size_bytes,
            "sha256": a.sha256, "uploaded_by": names.user(a.uploaded_by_id), "created_at": iso(a.created_at),
            "url": f"/api/attachments/{a.id}"}


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role.value,
            "extension": u.extension, "queues": list(u.queues), "active": u.active,
            "failed_logins": u.failed_logins or 0, "locked_until": iso(u.locked_until), "timezone": u.timezone}
