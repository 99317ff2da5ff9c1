"""The values a message template's placeholders take for one real customer (the admin's preview)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from store.repositories.customers import get_customer
from store.repositories.records import load_record


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


async def customer_values(session: AsyncSession, customer_id: int, currency: str) -> dict[str, str]:
    """Placeholder values from the customer's record (NotFound for an unknown customer); a value
    the record does not have (no promise, no schedule) is left out, so the preview shows it missing."""
    customer = await get_customer(session, customer_id, with_children=True)
    record = await load_record(session, customer)
    summary = record.summary
    values = {"name": customer.name, "first_name": customer.name.split()[0] if customer.name.split() else "",
              "account": customer.client_id or str(customer.id), "currency": currency,
              "balance": _amount(summary.total_balance), "overdue_amount": _amount(summary.overdue_amount),
              "days_past_due": str(summary.days_past_due)}
    if customer.phones:
        values["phone"] = customer.phones[0].e164
    if customer.client_id:
        values["client_id"] = customer.client_id
    if customer.serials:
        values["serial"] = customer.serials[0].serial
    if summary.open_promise is not None:
        values["promised_amount"] = _amount(summary.open_promise.amount)
        values["promised_date"] = summary.open_promise.due_date.isoformat()
    unpaid = sorted((i for loan in record.loans if loan.status == "active" for i in loan.installments
                     if i.paid_amount < i.principal + i.interest), key=lambda i: i.due_date)
    if unpaid:
        values["due_date"] = unpaid[0].due_date.isoformat()
        values["amount"] = _amount(unpaid[0].principal + unpaid[0].interest - unpaid[0].paid_amount)
    return values
