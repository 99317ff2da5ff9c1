"""Provider webhooks: delivery reports (Africa's Talking, Infobip) and inbound SMS (Africa's Talking).

Each URL carries ``?token=T`` (``SWITCHBOARD_SMS__WEBHOOK_TOKEN``), compared in constant time; a
missing or wrong token (or none configured) is 403. A malformed body is 400. A report for an id we
do not know is 200 (logged), so the provider stops retrying; a repeated one changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request

from agent_ui.deps import ServicesDep
from agent_ui.routes.messaging import messaging_of
from agent_ui.schemas.messaging import DeliveryReportsOut, InboundOut, InboundRepeatedOut
from agent_ui.services import Services
from domain.compliance.messages import policy_of
from domain.errors import ProtocolViolation, SignatureInvalid
from domain.events import InboundMessageReceived
from messaging import reports
from messaging.receipts import apply_report, receive_sms
from messaging.sender import status_event

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
MAX_BODY = 256 * 1024


def _check_token(request: Request, services: Services) -> None:
    expected = services.settings.sms.webhook_token.get_secret_value()
    given = request.query_params.get("token", "")
    if not expected or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        log.warning("SMS webhook %s with a missing or wrong token from %s", request.url.path,
                    request.client.host if request.client else "?")
        raise SignatureInvalid("the webhook token is missing or wrong")


async def _form(request: Request) -> dict[str, str]:
    try:
        form = await request.form()
    except Exception as exc:  # starlette raises its own parse errors: a bad body is the sender's fault
        raise ProtocolViolation(f"the body is not a form: {exc}") from exc
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _apply(services: Services, found: list[reports.DeliveryReport]) -> dict[str, Any]:
    applied = 0
    now = messaging_of(services).now()
    for report in found:
        result = await apply_report(services.database, report, now, region=services.settings.default_region)
        if result.changed and result.message is not None:
            applied += 1
            await services.publish(status_event(result.message, result.message.status,
                                                provider=report.provider, reason=result.message.reason))
    return {"ok": True, "applied": applied, "received": len(found)}


@router.post("/webhooks/sms/africastalking/delivery", response_model=DeliveryReportsOut)
async def africastalking_delivery(request: Request, services: ServicesDep) -> dict[str, Any]:
    _check_token(request, services)
    return await _apply(services, [reports.africastalking_delivery(await _form(request))])


@router.post("/webhooks/sms/infobip/delivery", response_model=DeliveryReportsOut)
async def infobip_delivery(request: Request, services: ServicesDep) -> dict[str, Any]:
    _check_token(request, services)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ProtocolViolation("the report is too large")
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise ProtocolViolation("the body is not JSON") from exc
    return await _apply(services, reports.infobip_delivery(payload))


@router.post("/webhooks/sms/africastalking/inbound", response_model=InboundOut | InboundRepeatedOut)
async def africastalking_inbound(request: Request, services: ServicesDep) -> dict[str, Any]:
    _check_token(request, services)
    sms = reports.africastalking_inbound(await _form(request))
    service = messaging_of(services)
    received = await receive_sms(services.database, sms, policy=policy_of(service.pack), lists=services.lists,
                                 region=services.settings.default_region, now=service.now())
    if received.repeated:
        return {"ok": True, "message_id": received.message.id, "repeated": True}
    customer = received.customer
    await services.publish(InboundMessageReceived(
        message_id=received.message.id, customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None, from_number=received.message.from_address or "",
        text=received.message.body, opted_out=received.opted_out))
    if received.confirmation is not None:
        await service.committed(received.confirmation)
    return {"ok": True, "message_id": received.message.id, "opted_out": received.opted_out}
