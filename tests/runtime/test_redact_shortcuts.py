"""``redact`` skips the patterns that cannot match a line (most lines: the access log's); what it
writes is exactly what running every pattern writes, on lines with and without the words, in any
case, ASCII or not."""

from __future__ import annotations

import itertools
import random

import pytest

from runtime import redact as r

FRAGMENTS = ["token=abc123", "Access_Token: 'x.y'", "TICKET=t-1", "PassWord=hunter2", "passwd: p", "SECRET=s3",
             "api_key=k", "ApiKey = 'k2'", "PIN: 4321", "pins=12", "pin_digits=1234", "Bearer abc.def", "basic dXNl",
             "eyJhbGciOi.eyJzdWIiOi.sig", "EYJnot.a.jwt", "+254712345678", "0712 345 678", "1765012345.12",
             '127.0.0.1:5555 - "POST /twilio/ivr?s=239&n=4 HTTP/1.1" 200', "spinning", "rapid", "tokens", "\u017fecret=x",
             "pa\u017f\u017fword=y", "PİN: 1234", "Kelvin \u212a token=z", "mpesa", "2026-12-06 10:00:00", " ", "&", "=", ":"]


def everything(text: str) -> str:
    """Every pattern, always (redact as it was)."""
    if not text:
        return text
    text = r._KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{r.REDACTED}", text)
    text = r._PIN.sub(lambda m: f"{m.group('key')}{m.group('sep')}{r.REDACTED}", text)
    text = r._BEARER.sub(lambda m: f"{m.group('key')} {r.REDACTED}", text)
    text = r._JWT.sub(r.REDACTED, text)
    return r._PHONE.sub(r._mask_number, text)


@pytest.mark.parametrize("text", ["", *FRAGMENTS, *(" ".join(pair) for pair in itertools.combinations(FRAGMENTS, 2))])
def test_the_same_as_every_pattern(text: str) -> None:
    assert r.redact(text) == everything(text)


def test_the_same_on_random_lines() -> None:
    rng = random.Random(17)
    for _ in range(3000):
        line = "".join(rng.choice(FRAGMENTS) + rng.choice(["", " ", "&", "; ", "\n"]) for _ in range(rng.randint(1, 6)))
        line = "".join(c.upper() if rng.random() < 0.2 else c for c in line)
        assert r.redact(line) == everything(line), line
