"""A refused field in words a person reads: pydantic's error types as plain phrases, field keys as words.

Pure: the API's 422s (``agent_ui.errors``) and the config lists' refusals (``config.lists.files``)
both say their fields' problems with it.

A 422's ``details`` map each field (``promised_amount``, ``follow_up.due_at``) to a phrase that follows
the field's name ("must be 0 or more", "is required"); its ``message`` is a sentence about the first
field ("The promised amount must be 0 or more."). The desk builds the same sentence from ``details``
(``agent_ui/static/js/lib/api.js``), with the form's own label where it has one. Our own rules' messages
(``domain.validation``) are already phrases or clauses and are kept as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Keys whose words are not the key's own (a search box is "q", a date field "due_at").
_WORDS = {"q": "search text", "due_at": "date", "at": "time", "from": "start date", "to": "end date",
          "body": "request", "government_id": "ID number", "msisdn": "phone number", "dob": "date of birth"}

# A code (a list item's key: pause codes, dispositions, campaigns), as config.lists.common checks it.
CODE_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
CODE_RULE = "must be lower-case letters and digits, words joined by '_' (like lunch_break)"
_NUMBER = "must be a number"
_DATE = "must be a date written YYYY-MM-DD"
_TIME = "must be a date and time"


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _figure(value: Any) -> str:
    """A bound as a person reads it: 2,147,483,647 (a whole number with separators; 0.0 is 0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _unit(context: Mapping[str, Any]) -> str:
    """A length's unit: characters of a text (pydantic says "Value"), items of a list."""
    return "character" if context.get("field_type") == "Value" else "item"


_PHRASES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda c: "is required",
    "string_too_short": lambda c: "is required" if c.get("min_length") == 1
    else f"must be at least {_plural(c.get('min_length'), 'character')}",
    "string_too_long": lambda c: f"must be at most {_plural(c.get('max_length'), 'character')}",
    "too_short": lambda c: "is required" if c.get("min_length") == 1
    else f"needs at least {_plural(c.get('min_length'), _unit(c))}",
    "too_long": lambda c: f"may have at most {_plural(c.get('max_length'), _unit(c))}",
    "greater_than_equal": lambda c: f"must be {_figure(c.get('ge'))} or more",
    "greater_than": lambda c: f"must be more than {_figure(c.get('gt'))}",
    "less_than_equal": lambda c: f"must be {_figure(c.get('le'))} or less",
    "less_than": lambda c: f"must be less than {_figure(c.get('lt'))}",
    "decimal_max_digits": lambda c: "is too large",
    "decimal_whole_digits": lambda c: "is too large",
    "decimal_max_places": lambda c: f"may have at most {_plural(c.get('decimal_places'), 'decimal place')}",
    "int_from_float": lambda c: "must be a whole number",
    "int_parsing_size": lambda c: "is too large",
    "bool_parsing": lambda c: "must be yes or no",
    "bool_type": lambda c: "must be yes or no",
    "string_type": lambda c: "must be text",
    "string_pattern_mismatch": lambda c: CODE_RULE if c.get("pattern") == CODE_PATTERN
    else "is not written the expected way",
    "literal_error": lambda c: f"must be one of {c.get('expected')}",
    "enum": lambda c: f"must be one of {c.get('expected')}",
    "json_invalid": lambda c: "is not valid JSON",
    "dict_type": lambda c: "must be an object",
    "list_type": lambda c: "must be a list",
    "extra_forbidden": lambda c: "is not a field of this form",
}
for _type in ("int_parsing", "int_type", "float_parsing", "float_type", "decimal_parsing", "decimal_type",
              "finite_number", "decimal_not_finite"):
    _PHRASES[_type] = lambda c: _NUMBER
for _type in ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"):
    _PHRASES[_type] = lambda c: _DATE
for _type in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing", "timezone_aware"):
    _PHRASES[_type] = lambda c: _TIME


def phrase(error_type: str, context: Mapping[str, Any] | None, fallback: str) -> str:
    """What is wrong with a field, to follow its name; pydantic's own text (first letter lowered)
    for a type this table does not know."""
    known = _PHRASES.get(error_type)
    if known is not None:
        return known(context or {})
    return fallback[:1].lower() + fallback[1:] if fallback else "is not valid"


def field_words(key: str) -> str:
    """``follow_up.due_at`` -> "follow-up date"; ``promised_amount`` -> "promised amount"."""
    parts = [p for p in key.split(".") if not p.isdigit()] or [key]
    last = parts[-1]
    words = _WORDS.get(last) or last.removesuffix("_id").replace("_", " ")
    if len(parts) > 1 and last in _WORDS:  # "date" alone is vague: say whose
        words = f"{parts[-2].replace('_', '-')} {words}"
    return words


def sentence(key: str, what: str) -> str:
    """"The promised amount must be 0 or more." / "The promised date: a promise cannot fall due in the past." """
    words = field_words(key)
    if what.split(" ", 1)[0] in ("must", "is", "may", "needs", "has", "cannot"):
        return f"The {words} {what}."
    return f"The {words}: {what.rstrip('.')}."
