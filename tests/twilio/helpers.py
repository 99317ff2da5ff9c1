"""Signed Twilio webhooks for tests, computed exactly as Twilio does (RequestValidator, form body)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from twilio.request_validator import RequestValidator

from cti.twilio.service import WebhookRequest

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "a" * 32
PUBLIC_URL = "https://switchboard.example.com"
OUR_NUMBER = "+254709000000"

_sids = itertools.count(1)


def call_sid() -> str:
    return f"CA{next(_sids):032x}"


def twilio_signature(url: str, form: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """What Twilio puts in X-Twilio-Signature (Twilio's own algorithm, via its library)."""
    return str(RequestValidator(token).compute_signature(url, dict(form)))


def signed(path: str, form: Mapping[str, str], query: str = "", *, public_url: str = PUBLIC_URL) -> WebhookRequest:
    url = public_url + path + (f"?{query}" if query else "")
    return WebhookRequest(path=path, query=query, form=list(form.items()),
                          signature=twilio_signature(url, form))


def signed_url(url: str, form: Mapping[str, str]) -> WebhookRequest:
    """Sign a request to an absolute callback URL that we handed to Twilio."""
    base, _, query = url.partition("?")
    path = base[len(PUBLIC_URL):]
    return WebhookRequest(path=path, query=query, form=list(form.items()), signature=twilio_signature(url, form))


def voice_form(sid: str, *, status: str = "ringing", caller: str = "+254712345678",
               to: str = OUR_NUMBER, direction: str = "inbound", **extra: str) -> dict[str, str]:
    form = {"AccountSid": ACCOUNT_SID, "CallSid": sid, "CallStatus": status, "From": caller, "To": to,
            "Direction": direction, "ApiVersion": "2010-04-01", "Caller": caller, "Called": to}
    form.update(extra)
    return form
