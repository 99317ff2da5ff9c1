"""Phone numbers: E.164 storage and forgiving parsing, through ``phonenumbers``."""

from __future__ import annotations

import re

import phonenumbers

from domain.errors import InvalidInput

_DIGITS = re.compile(r"\D+")


def to_e164(raw: str, region: str) -> str | None:
    """The E.164 form of ``raw`` read in ``region`` ("KE"), or None when it is not a valid number.

    Accepts ``0712345678``, ``+254712345678``, ``254 712 345 678``, ``0712-345-678``.
    """
    text = raw.strip()
    if not text:
        return None
    candidates = [text]
    digits = _DIGITS.sub("", text)
    if not text.startswith("+") and digits:
        candidates.append("+" + digits)  # "254 712 345 678": country code without the plus
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


def require_e164(raw: str, region: str, field: str = "phone") -> str:
    """Like :func:`to_e164` but raises InvalidInput naming ``field``."""
    e164 = to_e164(raw, region)
    if e164 is None:
        raise InvalidInput(f"{raw!r} is not a valid phone number", {field: "not a valid phone number"})
    return e164


def national_digits(e164: str) -> str:
    """The national dialling form, e.g. ``+254712345678`` -> ``0712345678``."""
    parsed = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return _DIGITS.sub("", national)

