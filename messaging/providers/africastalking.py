"""Africa's Talking SMS over our HTTP client (:class:`~messaging.providers.base.ClientPool`; their
SDK 2.0.3 is synchronous, on requests, and has no base-URL option: it would block the event loop
and cannot be pointed at a test server).

Request: a form ``POST {BASE_URL}/version1/messaging`` with ``username``, ``to``, ``message`` and
``from`` (the sender id), headers ``apiKey`` and ``Accept: application/json``. Answer:
``{"SMSMessageData": {"Message": ..., "Recipients": [{"statusCode", "number", "status", "cost",
"messageId"}]}}``. Recipient codes: 100 Processed, 101 Sent, 102 Queued; 401 RiskHold,
402 InvalidSenderId, 403 InvalidPhoneNumber, 404 UnsupportedNumberType, 405 InsufficientBalance,
406 UserInBlacklist, 407 CouldNotRoute, 409 DoNotDisturbRejection, 500 InternalServerError,
501 GatewayError, 502 RejectedByGateway. There is no idempotency key and no lookup of a sent
message: an ambiguous send is settled by its delivery report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from config.messaging_settings import AfricasTalkingSettings
from messaging.providers.base import (
    Accepted,
    Ambiguous,
    ClientPool,
    Lookup,
    Outcome,
    Refused,
    SmsRequest,
    TransportError,
    http_refusal,
    transport_outcome,
)

NAME = "africastalking"
ACCEPTED_CODES = frozenset({100, 101, 102})
# The recipient itself is the problem: no other provider will do better.
RECIPIENT_CODES = frozenset({403, 406})


@dataclass(frozen=True, slots=True)
class HttpCall:
    url: str
    headers: dict[str, str]
    form: dict[str, str]


def build(request: SmsRequest, settings: AfricasTalkingSettings) -> HttpCall:
    form = {"username": settings.username, "to": request.to, "message": request.text}
    if settings.sender_id:
        form["from"] = settings.sender_id
    headers = {"apiKey": settings.api_key.get_secret_value(), "Accept": "application/json"}
    return HttpCall(settings.base_url.rstrip("/") + "/version1/messaging", headers, form)


def interpret(status_code: int, body: bytes) -> Outcome:
    """The provider's answer as an outcome (pure)."""
    text = body.decode("utf-8", "replace")
    if not 200 <= status_code < 300:
        return http_refusal(NAME, status_code, text)
    try:
        data: Any = json.loads(text)
        recipients = data["SMSMessageData"]["Recipients"]
        summary = str(data["SMSMessageData"].get("Message", ""))
    except (ValueError, KeyError, TypeError):
        return Ambiguous(NAME, f"{NAME} answered {status_code} with an unreadable body: {text[:200]}")
    if not isinstance(recipients, list) or not recipients:
        return Refused(NAME, f"{NAME} sent it to nobody: {summary or 'no recipients'}")
    first = recipients[0]
    if not isinstance(first, dict):
        return Ambiguous(NAME, f"{NAME} answered with an unreadable recipient: {first!r}"[:300])
    try:
        code = int(first.get("statusCode", -1))
    except (TypeError, ValueError):
        code = -1
    status = str(first.get("status", ""))
    if code in ACCEPTED_CODES:
        message_id = first.get("messageId")
        cost = first.get("cost")
        return Accepted(NAME, str(message_id) if message_id not in (None, "", "None") else None,
                        cost=str(cost) if cost else None)
    if code in RECIPIENT_CODES:
        return Refused(NAME, f"{NAME} refused the number: {code} {status}", elsewhere=False)
    return Refused(NAME, f"{NAME} refused it: {code} {status}")


class AfricasTalkingProvider:
    name = NAME

    def __init__(self, settings: AfricasTalkingSettings, clients: ClientPool) -> None:
        self.settings = settings
        self.clients = clients

    async def send(self, request: SmsRequest) -> Outcome:
        call = build(request, self.settings)
        try:
            status, body = await self.clients.request("POST", call.url, form=call.form, headers=call.headers)
        except TransportError as exc:
            return transport_outcome(NAME, exc)
        return interpret(status, body)

    async def lookup(self, provider_message_id: str) -> Lookup | None:
        return None

    async def aclose(self) -> None:
        await self.clients.aclose()
