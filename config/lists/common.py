"""Building blocks shared by the editable list models (config/defaults/*.yaml).

Every list item has a stable snake_case ``code`` (what the store and the API keep) and a ``label``
(what a person reads). Codes are unique among their siblings; references between lists must
resolve. Models are frozen and refuse unknown keys, so a typo in a file is reported, not ignored.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Annotated, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from domain.field_words import CODE_PATTERN

_CODE_RE = re.compile(CODE_PATTERN)

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# The interaction (follow-up note) fields a disposition node may require. They are the field names of
# the interaction record in the API (seed 000 follow-up notes, seed 004 customer notes).
INTERACTION_FIELDS: frozenset[str] = frozenset({
    "action", "call_result", "call_status", "status_action", "party_response",
    "promised_amount", "promised_date", "visit_date", "callback_at", "comments",
    "client_status", "send_message", "template",
    "purpose", "subject", "detail", "call_outcome", "customer_mood",
    "follow_up_at", "follow_up_assignee", "follow_up_instructions",
})

# Placeholders that message templates and call scripts may use.
PLACEHOLDERS: frozenset[str] = frozenset({
    "name", "first_name", "agent", "company", "amount", "currency", "balance", "due_date",
    "days_past_due", "overdue_amount", "promised_amount", "promised_date", "callback_at",
    "phone", "client_id", "serial", "paybill", "account", "grace_days_left", "support_phone",
    # issue 16's names (messaging/templates.py fills them from the record)
    "amount_due", "promise_amount", "promise_date", "agent_name",
})


class ListModel(BaseModel):
    """Base of every list model: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Item(ListModel):
    """A plain list entry: a code and a label."""

    code: Code
    label: Label


class HasCode(Protocol):
    @property
    def code(self) -> str: ...


T = TypeVar("T", bound=HasCode)


def is_code(value: str) -> bool:
    return bool(_CODE_RE.match(value))


def unique_codes(items: list[T]) -> list[T]:
    """Refuse repeated codes among siblings (used as a field validator)."""
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            raise ValueError(f"duplicate code {item.code!r}")
        seen.add(item.code)
    return items


# A list of coded items whose codes are unique among themselves.
Unique = Annotated[list[T], AfterValidator(unique_codes)]


def find(items: Iterable[T], code: str) -> T | None:
    for item in items:
        if item.code == code:
            return item
    return None


def codes(items: Iterable[HasCode]) -> list[str]:
    return [item.code for item in items]


def placeholders_in(text: str) -> set[str]:
    """The ``{name}`` placeholders used in ``text``; raises ValueError on a malformed brace."""
    names: set[str] = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return names


def check_placeholders(text: str) -> str:
    """Validator: every placeholder in ``text`` is a known one."""
    try:
        used = placeholders_in(text)
    except ValueError as exc:
        raise ValueError(f"malformed placeholder in {text!r}: {exc}") from exc
    unknown = sorted(used - PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
                         f"known: {', '.join(sorted(PLACEHOLDERS))}")
    return text
