"""Infobip SMS over our HTTP client (:class:`~messaging.providers.base.ClientPool`). The official
client (``infobip-api-python-client`` 6.0.0) can be pointed at a base URL (``Configuration(host=...)``)
but it is synchronous (urllib3): every send would block the event loop or hold a thread that a
timeout cannot cancel. So our own client, against the documented API:

``POST {BASE_URL}/sms/3/messages``, header ``Authorization: App KEY``, JSON
``{"messages": [{"sender", "destinations": [{"to", "messageId"}], "content": {"text"}}]}``; the
answer has ``messages[]`` with ``messageId`` and ``status.groupName`` (PENDING, ACCEPTED,
DELIVERED: taken; REJECTED, UNDELIVERABLE: not). We give each attempt our own ``messageId``, so a
send whose answer is lost can be looked up (``GET /sms/3/logs?messageId=``) and its delivery
report matched.
"""

from __future__ import annotations

import json
from typing import Any

from config.messaging_settings import InfobipSettings
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

NAME = "infobip"
TAKEN = frozenset({"PENDING", "ACCEPTED", "DELIVERED"})
GROUP_STATUS = {"PENDING": "sent", "ACCEPTED": "sent", "DELIVERED": "delivered", "UNDELIVERABLE": "failed",
                "EXPIRED": "failed", "REJECTED": "failed"}


def body_of(request: SmsRequest, settings: InfobipSettings) -> dict[str, Any]:
    message: dict[str, Any] = {"destinations": [{"to": request.to.lstrip("+"), "messageId": request.reference}],
                               "content": {"text": request.text}}
    if settings.sender:
        message["sender"] = settings.sender
    return {"messages": [message]}


def headers_of(settings: InfobipSettings) -> dict[str, str]:
    return {"Authorization": f"App {settings.api_key.get_secret_value()}", "Accept": "application/json"}


def price_of(item: dict[str, Any]) -> str | None:
    price = item.get("price")
    if isinstance(price, dict) and price.get("pricePerMessage") is not None:
        return f"{price.get('currency') or ''} {price['pricePerMessage']}".strip()
    return None


def interpret(status_code: int, body: bytes, reference: str) -> Outcome:
    text = body.decode("utf-8", "replace")
    if not 200 <= status_code < 300:
        return http_refusal(NAME, status_code, text)
    try:
        data: Any = json.loads(text)
        first = data["messages"][0]
        group = str(first["status"]["groupName"]).upper()
        name = str(first["status"].get("name", group))
    except (ValueError, KeyError, TypeError, IndexError):
        return Ambiguous(NAME, f"{NAME} answered {status_code} with an unreadable body: {text[:200]}", reference)
    if group in TAKEN:
        message_id = first.get("messageId") or reference
        return Accepted(NAME, str(message_id), "delivered" if group == "DELIVERED" else "sent")
    if group == "UNDELIVERABLE":
        return Refused(NAME, f"{NAME} cannot deliver to this number: {name}", elsewhere=False)
    return Refused(NAME, f"{NAME} refused it: {name}")


def interpret_lookup(status_code: int, body: bytes) -> Lookup:
    if status_code == 404:
        return Lookup(found=False)
    if not 200 <= status_code < 300:
        raise ValueError(f"{NAME} logs answered HTTP {status_code}")
    data: Any = json.loads(body)
    results = data.get("results") or []
    if not results:
        return Lookup(found=False)
    item = results[0]
    group = str(item.get("status", {}).get("groupName", "")).upper()
    error = item.get("error") or {}
    failed = group in ("UNDELIVERABLE", "EXPIRED", "REJECTED")
    reason = (error.get("description") or error.get("name")) if failed else None
    return Lookup(found=True, status=GROUP_STATUS.get(group), reason=reason, cost=price_of(item))


class InfobipProvider:
    name = NAME

    def __init__(self, settings: InfobipSettings, clients: ClientPool) -> None:
        self.settings = settings
        self.clients = clients
        self.base = settings.base_url.rstrip("/")

    async def send(self, request: SmsRequest) -> Outcome:
        try:
            status, body = await self.clients.request("POST", f"{self.base}/sms/3/messages",
                                                      json=body_of(request, self.settings),
                                                      headers=headers_of(self.settings))
        except TransportError as exc:
            return transport_outcome(NAME, exc, request.reference)
        return interpret(status, body, request.reference)

    async def lookup(self, provider_message_id: str) -> Lookup | None:
        status, body = await self.clients.request("GET", f"{self.base}/sms/3/logs",
                                                  params={"messageId": provider_message_id},
                                                  headers=headers_of(self.settings))
        return interpret_lookup(status, body)

    async def aclose(self) -> None:
        await self.clients.aclose()
