"""The preview an agent sees before the dial (seed 001 "Calls to Make"): who, why, the script, how
many attempts so far and the numbers to pick from, each with the gate's answer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.lists import Lists
from dialer.gate import NumberDecision
from domain.errors import InvalidInput
from store.models import CallTask, Customer, Interaction, PromiseStatus, PromiseToPay, User
from store.repositories.dialer import AccountFigures


async def summary(session: AsyncSession, customer: Customer, figures: AccountFigures) -> dict[str, Any]:
    promise = await session.scalar(
        select(PromiseToPay).where(PromiseToPay.customer_id == customer.id,
                                   PromiseToPay.status == PromiseStatus.PENDING)
        .order_by(PromiseToPay.due_date).limit(1))
    last = await session.scalar(
        select(Interaction).where(Interaction.customer_id == customer.id)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(1))
    return {
        "overdue_amount": str(figures.overdue_amount.quantize(Decimal("0.01"))),
        "days_past_due": figures.days_past_due,
        "risk_score": customer.risk_score,
        "open_promise": None if promise is None else {
            "id": promise.id, "amount": str(promise.amount), "due_date": promise.due_date.isoformat()},
        "last_interaction": None if last is None else {
            "at": last.created_at.isoformat(), "channel": last.channel,
            "disposition": "/".join(x for x in (last.disposition_status, last.disposition_reason,
                                                last.disposition_resolution) if x),
            "comments": (last.comments or last.subject or "")[:140]},
    }


def script(lists: Lists, reason_code: str, values: dict[str, object]) -> tuple[str, list[str]]:
    """(label, rendered lines) of a reason; unknown placeholders stay as ``{name}``."""
    try:
        reason = lists.reason(reason_code)
    except InvalidInput:
        return reason_code, []
    lines = list(lists.reasons.greeting.outbound) + list(reason.script)
    return reason.label, [lists.render(line, values, strict=False) for line in lines]


def script_values(customer: Customer, agent: User, figures: AccountFigures, currency: str,
                  promise: PromiseToPay | None) -> dict[str, object]:
    values: dict[str, object] = {
        "name": customer.name, "first_name": customer.name.split()[0] if customer.name.split() else "",
        "agent": agent.display_name, "overdue_amount": str(figures.overdue_amount),
        "days_past_due": figures.days_past_due, "currency": currency,
        "client_id": customer.client_id or "", "account": customer.client_id or str(customer.id),
    }
    if promise is not None:
        values.update(promised_amount=str(promise.amount), promised_date=promise.due_date.isoformat())
    return values


def preview_message(task: CallTask, customer: Customer, campaign_code: str, numbers: list[NumberDecision],
                    customer_summary: dict[str, Any], label: str, lines: list[str], *, mode: str,
                    preview_seconds: float, dial_at: datetime | None) -> dict[str, Any]:
    allowed = [n for n in numbers if n.decision.allowed]
    return {
        "task_id": task.id, "campaign": campaign_code, "mode": mode, "preview_seconds": preview_seconds,
        "dial_at": dial_at.isoformat() if dial_at else None,
        "customer": {"id": customer.id, "name": customer.name, "summary": customer_summary},
        "reason": {"code": task.reason, "label": label, "script": lines},
        "attempts": task.attempts, "last_outcome": task.last_outcome, "comment": task.comment,
        "numbers": [n.to_json() for n in numbers],
        "selected": allowed[0].option.number if allowed else None,
    }
