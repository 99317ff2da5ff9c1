"""Provider webhooks, sans-I/O: a form or JSON in, typed reports out (ProtocolViolation on a
malformed one, which the route answers 400).

- Africa's Talking delivery report (form): ``id``, ``status`` (Sent, Submitted, Buffered,
  Rejected, Success, Failed), ``phoneNumber``, ``networkCode``, ``failureReason``.
- Infobip delivery reports (JSON): ``{"results": [{"messageId", "to", "status": {"groupName"},
  "error", "price"}]}``.
- Africa's Talking inbound SMS (form): ``from``, ``to``, ``text``, ``date``, ``id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import ProtocolViolation
from messaging.providers.infobip import GROUP_STATUS, price_of

AT_STATUS = {"sent": "sent", "submitted": "sent", "buffered": "sent", "success": "delivered",
             "rejected": "failed", "failed": "failed"}


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    provider: str
    provider_message_id: str
    status: str  # sent, delivered, failed
    phone: str | None = None
    reason: str | None = None
    cost: str | None = None


@dataclass(frozen=True, slots=True)
class InboundSms:
    provider_message_id: str
    from_number: str
    to: str
    text: str
    date: str | None


def _field(form: Mapping[str, str], name: str) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise ProtocolViolation(f"the form has no {name!r}", {name: "required"})
    return value


def africastalking_delivery(form: Mapping[str, str]) -> DeliveryReport:
    message_id = _field(form, "id")
    raw = _field(form, "status")
    status = AT_STATUS.get(raw.lower())
    if status is None:
        raise ProtocolViolation(f"unknown delivery status {raw!r}", {"status": f"one of {sorted(AT_STATUS)}"})
    reason = (form.get("failureReason") or "").strip() or None
    return DeliveryReport("africastalking", message_id, status, phone=(form.get("phoneNumber") or "").strip() or None,
                          reason=reason if status == "failed" else None)


def infobip_delivery(payload: Any) -> list[DeliveryReport]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ProtocolViolation("an Infobip report needs a results list", {"results": "required"})
    reports = []
    for index, item in enumerate(payload["results"]):
        try:
            message_id = str(item["messageId"])
            group = str(item["status"]["groupName"]).upper()
        except (KeyError, TypeError) as exc:
            raise ProtocolViolation(f"results[{index}] lacks messageId or status.groupName",
                                    {f"results.{index}": "messageId and status.groupName required"}) from exc
        status = GROUP_STATUS.get(group)
        if status is None:
            raise ProtocolViolation(f"unknown groupName {group!r}", {f"results.{index}.status.groupName": "unknown"})
        error = item.get("error") if isinstance(item.get("error"), dict) else {}
        reason = (error.get("description") or error.get("name")) if status == "failed" else None
        to = item.get("to")
        reports.append(DeliveryReport("infobip", message_id, status, phone=str(to) if to else None,
                                      reason=str(reason) if reason else None, cost=price_of(item)))
    return reports


def africastalking_inbound(form: Mapping[str, str]) -> InboundSms:
    return InboundSms(provider_message_id=_field(form, "id"), from_number=_field(form, "from"),
                      to=(form.get("to") or "").strip(), text=form.get("text") or "",
                      date=(form.get("date") or "").strip() or None)
