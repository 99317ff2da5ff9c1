"""Template variables filled from the customer's record, and whether a text is about the debt.

Variables (templates.yaml; an unknown one is refused when the list is saved): ``{first_name}``,
``{amount_due}``, ``{due_date}``, ``{promise_amount}``, ``{promise_date}``, ``{agent_name}``,
``{paybill}``, ``{account}``, and the older names (``{name}``, ``{amount}``, ``{balance}``,
``{overdue_amount}``, ``{days_past_due}``, ``{promised_amount}``, ``{promised_date}``,
``{agent}``, ``{phone}``, ``{client_id}``, ``{serial}``, ``{company}``, ``{support_phone}``,
``{currency}``). ``{paybill}``, ``{company}`` and ``{support_phone}`` come from templates.yaml's
``placeholder_defaults``. A variable the record has no value for is refused when the message is
composed ("no value for {promise_amount}"), never sent as a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from config.lists.common import placeholders_in
from domain.wording import day, money
from store.models import Customer
from store.repositories.messages import message_figures

# A text that uses one of these is about the debt (the Kenya pack keeps it from third parties).
DEBT_VARIABLES = frozenset({
    "amount", "amount_due", "balance", "overdue_amount", "days_past_due", "promised_amount",
    "promise_amount", "promised_date", "promise_date", "due_date", "paybill", "account", "grace_days_left",
})


def uses_debt_variables(text: str) -> bool:
    try:
        return bool(placeholders_in(text) & DEBT_VARIABLES)
    except ValueError:
        return True


async def record_values(session: AsyncSession, customer: Customer, *, agent_name: str | None, currency: str,
                        today: date, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """The template values of ``customer`` (None values are left out, so a template that needs
    them is refused with the variable's name). ``extra`` (a note's promise) wins."""
    loans, promise = await message_figures(session, customer.id)
    values: dict[str, object] = {
        "name": customer.name, "first_name": customer.name.split()[0] if customer.name.split() else customer.name,
        "client_id": customer.client_id, "account": customer.client_id or str(customer.id), "currency": currency,
        "phone": customer.phones[0].e164 if customer.phones else None,
        "serial": customer.serials[0].serial if customer.serials else None,
        "agent_name": agent_name, "agent": agent_name,
    }
    if loans:
        overdue = sum((loan.overdue_amount for loan in loans), Decimal("0"))
        unpaid = sorted((i for loan in loans for i in loan.installments
                         if i.paid_amount < i.principal + i.interest), key=lambda i: i.due_date)
        upcoming = [i for i in unpaid if i.due_date >= today]
        nxt = upcoming[0] if upcoming else (unpaid[0] if unpaid else None)
        due = overdue if overdue > 0 else (nxt.principal + nxt.interest - nxt.paid_amount if nxt else None)
        values.update({
            "balance": money(sum((loan.balance for loan in loans), Decimal("0"))),
            "overdue_amount": money(overdue), "days_past_due": max(loan.days_past_due for loan in loans),
            "amount_due": money(due) if due is not None else None, "amount": money(due) if due is not None else None,
            "due_date": day(unpaid[0].due_date if overdue > 0 and unpaid else nxt.due_date) if nxt else None,
        })
    if promise is not None:
        values.update({"promise_amount": money(promise.amount), "promised_amount": money(promise.amount),
                       "promise_date": day(promise.due_date), "promised_date": day(promise.due_date)})
    for key, value in (extra or {}).items():
        if value is None:
            continue
        if isinstance(value, Decimal):
            value = money(value)
        elif isinstance(value, date):
            value = day(value)
        values[key] = value
    if "promised_amount" in (extra or {}) or "promised_date" in (extra or {}):
        values["promise_amount"] = values.get("promised_amount")
        values["promise_date"] = values.get("promised_date")
    return {key: value for key, value in values.items() if value is not None}
