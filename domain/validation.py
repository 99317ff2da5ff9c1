"""The input rules, in one place: the API's request bodies and the CSV importer both use these.

Each rule takes a value (and, where time matters, the clock's ``now`` as an input) and returns the
clean value or raises ``ValueError`` with a sentence for a person (pydantic turns it into a 422
naming the field; the importer reports it on the row's line).

* dates and times lie in 1970-2100, and come as ISO 8601 text (``12345`` is not a date);
* promises fall due from today to a year ahead; tasks from a month back to two years ahead;
  callbacks from now to a year ahead;
* names carry no control, format (zero-width, bidi override) or line/paragraph separator characters;
* email addresses are well formed (``email-validator``, no DNS lookup);
* a phone number is a valid number without an extension (``+254712345678 ext 5`` is refused rather
  than read as ``+254712345678``);
* text fits its column (:data:`CUSTOMER_COLUMNS`);
* only agents and supervisors are given work (tasks, promises, campaigns).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.errors import InvalidInput
from domain.phone import to_e164

EARLIEST = date(1970, 1, 1)
LATEST = date(2100, 12, 31)
EARLIEST_INSTANT = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
LATEST_INSTANT = datetime.combine(LATEST, time.max, tzinfo=UTC)
PROMISE_DAYS_AHEAD = 366
TASK_DAYS_BACK, TASK_DAYS_AHEAD = 31, 2 * 366
CALLBACK_GRACE, CALLBACK_DAYS_AHEAD = timedelta(minutes=5), 366
ASSIGNABLE_ROLES = ("agent", "supervisor")
# The longest text each customer column takes (store/models/people.py); the API bodies use the same.
CUSTOMER_COLUMNS = {"name": 200, "phone": 32, "government_id": 64, "client_id": 64, "email": 200,
                    "region": 64, "timezone": 64, "assigned_agent": 64, "campaign": 64, "serial": 64}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format (bidi, zero-width) ...


T = TypeVar("T")


def require(field: str, rule: Callable[..., T], value: Any, *args: Any) -> T:
    """``rule(value, *args)``, its ValueError turned into InvalidInput naming ``field`` (a 422)."""
    try:
        return rule(value, *args)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}", {field: str(exc)}) from exc


def iso_date_text(value: Any) -> Any:
    """Before parsing: a date must be ``YYYY-MM-DD`` text (no numbers, no timestamps)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def iso_instant_text(value: Any) -> Any:
    """Before parsing: a time must be ISO 8601 text with a UTC offset (``12345`` is not a time)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        raise ValueError("must be a date and time written like 2026-03-04T10:00:00+03:00")
    return value


def in_calendar(value: date) -> date:
    """A date between 1970 and 2100."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def instant_in_calendar(value: datetime) -> datetime:
    """An aware time between 1970 and 2100 (UTC)."""
    if not EARLIEST_INSTANT <= value <= LATEST_INSTANT:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def promise_due(value: date, today: date) -> date:
    """A promise to pay falls due from ``today`` (the customer's call centre's day) to a year ahead."""
    if value < today:
        raise ValueError("a promise cannot fall due in the past")
    if value > today + timedelta(days=PROMISE_DAYS_AHEAD):
        raise ValueError(f"a promise falls due within {PROMISE_DAYS_AHEAD} days")
    return value


def task_due(value: datetime, now: datetime) -> datetime:
    """A task falls due from a month back (work noted after the fact) to two years ahead."""
    if value < now - timedelta(days=TASK_DAYS_BACK):
        raise ValueError(f"a task cannot fall due more than {TASK_DAYS_BACK} days in the past")
    if value > now + timedelta(days=TASK_DAYS_AHEAD):
        raise ValueError("a task falls due within two years")
    return value


def callback_time(value: datetime, now: datetime) -> datetime:
    """A callback is from now (a few minutes' grace for clocks) to a year ahead."""
    if value < now - CALLBACK_GRACE:
        raise ValueError("a callback must be in the future")
    if value > now + timedelta(days=CALLBACK_DAYS_AHEAD):
        raise ValueError(f"a callback is within {CALLBACK_DAYS_AHEAD} days")
    return value


def person_name(value: str) -> str:
    """A name without invisible or control characters (zero-width, bidi overrides, line breaks)."""
    for ch in value:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise ValueError(f"must not contain invisible or control characters (U+{ord(ch):04X})")
    return value


def email_address(value: str) -> str:
    """A well-formed email address (its domain is not looked up); returned normalised."""
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an email address") from exc


def phone_text(value: str, region: str | None = None) -> str:
    """A phone number as typed, refused if it carries an extension (never silently dropped); with
    ``region``, it must also be a valid number, and its E.164 form is returned."""
    try:  # any region reads a national number well enough to see an extension ("x5", "ext 5", "#5")
        extension = phonenumbers.parse(value, region or "US").extension
    except phonenumbers.NumberParseException:
        extension = None
    if extension:
        raise ValueError("a phone number cannot carry an extension")
    if region is None:
        return value
    e164 = to_e164(value, region)
    if e164 is None:
        raise ValueError(f"{value!r} is not a valid phone number")
    return e164


def fits(value: str, column: str) -> str:
    """Text within its customer column's length."""
    limit = CUSTOMER_COLUMNS[column]
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters (this one has {len(value)})")
    return value


def assignable(role: str, username: str) -> None:
    """Work (a task, a promise, a campaign) goes to agents and supervisors only."""
    if role not in ASSIGNABLE_ROLES:
        raise ValueError(f"{username!r} is {'an' if role[:1] in 'aeiou' else 'a'} {role}: "
                         "work goes to agents and supervisors")
