"""A new customer whose phone or government ID is already on record (issue 15, item 3).

The create is refused with ``duplicate-customer``, naming who has it ("This number belongs to Amina
Wanjiru (client C-000001).") so that the desk can offer to open that customer instead. Sent again
with a ``duplicate_reason``, the customer is created and the reason is kept as a note on the new
record (and in the audit log), with the customers it duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DuplicateCustomer
from store.models import Customer, Interaction, User

Found = Sequence[tuple[Customer, str]]  # (customer, "phone" or "government_id")
WHAT = {"phone": "number", "government_id": "government ID"}


def who(c: Customer) -> str:
    return f"{c.name} (client {c.client_id})" if c.client_id else f"{c.name} (customer {c.id}, no client ID)"


def listed(found: Found) -> list[dict[str, Any]]:
    return [{"customer_id": c.id, "name": c.name, "client_id": c.client_id, "matched": matched}
            for c, matched in found]


def refusal(found: Found) -> DuplicateCustomer:
    first, matched = found[0]
    message = f"This {WHAT[matched]} belongs to {who(first)}."
    if len(found) > 1:
        others = len(found) - 1
        message += f" {others} more customer{'s' if others > 1 else ''} share{'' if others > 1 else 's'} it."
    message += " Open that customer instead, or give a reason to create a new one."
    return DuplicateCustomer(message, {matched: f"belongs to {who(first)}", "duplicates": listed(found)})


def keep_reason(session: AsyncSession, customer: Customer, user: User, reason: str, found: Found) -> None:
    """The reason as a note on the new record, naming whom it duplicates."""
    same = "; ".join(f"same {WHAT[matched]} as {who(c)}" for c, matched in found)
    session.add(Interaction(customer_id=customer.id, channel="note", operator_id=user.id, complete=True,
                            subject="Created although the phone or ID is on record",
                            comments=f"{reason} ({same})"))
