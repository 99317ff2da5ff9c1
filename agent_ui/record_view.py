"""The whole customer record as JSON (``GET /api/customers/{id}``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui import serialize
from agent_ui.serialize import Names, iso, money
from store.repositories.records import CustomerRecord


async def record_json(session: AsyncSession, record: CustomerRecord, access: str) -> dict[str, Any]:
    c = record.customer
    user_ids: list[int | None] = [c.assigned_agent_id]
    user_ids += [i.operator_id for i in record.interactions]
    user_ids += [p.assignee_id for p in record.promises] + [p.created_by_id for p in record.promises]
    user_ids += [t.assignee_id for t in record.open_tasks] + [t.created_by_id for t in record.open_tasks]
    user_ids += [a.uploaded_by_id for a in record.attachments]
    names = await Names.load(session, user_ids, [c.campaign_id])
    summary = record.summary
    last = summary.last_interaction
    return {
        **serialize.customer(c, names),
        "access": access,
        "summary": {
            "overdue_amount": money(summary.overdue_amount),
            "days_past_due": summary.days_past_due,
            "total_balance": money(summary.total_balance),
            "open_promise": serialize.promise(summary.open_promise, names) if summary.open_promise else None,
            "last_interaction": None if last is None else {
                "id": last.id, "at": iso(last.created_at), "channel": last.channel,
                "operator": names.user(last.operator_id),
                "disposition": {"status": last.disposition_status, "reason": last.disposition_reason,
                                "resolution": last.disposition_resolution},
                "subject": last.subject, "comments": last.comments,
            },
        },
        "loans": [serialize.loan(loan) for loan in record.loans],
        "statement": [serialize.transaction(line.txn, line.running_balance) for line in record.statement],
        "contacts": [serialize.contact(x) for x in c.live_contacts],
        "removed_contacts": [serialize.contact(x) for x in c.contacts if x.removed_at is not None],
        "interactions": [serialize.interaction(i, names) for i in record.interactions],
        "promises": [serialize.promise(p, names) for p in record.promises],
        "tasks": [serialize.task(t, names) for t in record.open_tasks],
        "attachments": [serialize.attachment(a, names) for a in record.attachments],
    }
