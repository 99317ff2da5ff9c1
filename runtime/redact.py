"""Secrets and personal numbers out of log lines: tokens, passwords, PINs, full phone numbers.

:func:`redact` is applied to every log message and traceback before it is written
(:mod:`runtime.logging`), whoever logged it (our code, uvicorn's access log with a WebSocket's
``?token=``, a library's exception text). What it does:

- a signed token (a JWT, ``eyJ...``), and the value after ``token``, ``ticket``, ``password``, ``secret``,
  ``pin`` (and similar keys) or ``Bearer`` -> ``[redacted]``;
- a phone number of 9 to 15 digits, written together (``+254712345678``, ``0712345678``) or in
  groups (``0712 345 678``) -> its first 3 and last 3 digits only (``+254******678``).

Identifiers that are not phone numbers are left alone: Asterisk call ids (``1765012345.12``),
Redis stream ids (``1765012345678-0``), hex ids (``sb-4f0c...``), dates and times, addresses.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_KEYS = r"(?:access_?token|auth_?token|token|ticket|password|passwd|secret|api_?key|pin(?:_?code|_?digits?|s)?)"
_KEY_VALUE = re.compile(
    rf"(?P<key>\b{_KEYS}\b)(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>(?!\[redacted\])[^\s&\"',;)}}\]]+)", re.IGNORECASE)
_PIN = re.compile(r"(?P<key>\bpin(?:_?code|_?digits?|s)?\b)(?P<sep>\W{1,3})\d+", re.IGNORECASE)
_BEARER = re.compile(r"\b(?P<key>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_PHONE = re.compile(
    r"(?<![\w.+])\+?\d{9,15}(?!\w|[.-]\d)"  # together: +254712345678, 0712345678
    r"|(?<![\w.+])\+?\d{1,4}(?:[ -]\d{2,4}){2,5}(?![\w:-]|\.\d)"  # in groups: +254 712 345 678
)


def _mask_number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if digits < 9:  # a date (2026-12-06) or a short code, not a phone number
        return text
    lead = "+" if text.startswith("+") else ""
    only = "".join(c for c in text if c.isdigit())
    return f"{lead}{only[:3]}{'*' * (len(only) - 6)}{only[-3:]}"


# Words one of which an ASCII text must hold (in any case) for _KEY_VALUE / _PIN / _BEARER to match.
_KEY_WORDS = ("token", "ticket", "passw", "secret", "api", "pin")
_SCHEME_WORDS = ("bearer", "basic")


def redact(text: str) -> str:
    """``text`` without tokens, passwords, PINs or full phone numbers (see the module docstring).

    Every line of the log comes here (one per request in the access log), so a pattern that cannot
    match is skipped: an ASCII text without any of its words (case-insensitive matching of ASCII is
    plain lower case), or without ``eyJ`` for a JWT. A non-ASCII text gets every pattern."""
    if not text:
        return text
    lower = text.lower() if text.isascii() else None
    if lower is None or any(word in lower for word in _KEY_WORDS):
        text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", text)
        text = _PIN.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", text)
    if lower is None or any(word in lower for word in _SCHEME_WORDS):
        text = _BEARER.sub(lambda m: f"{m.group('key')} {REDACTED}", text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    return _PHONE.sub(_mask_number, text)
