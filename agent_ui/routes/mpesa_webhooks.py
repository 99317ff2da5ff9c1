"""The webhooks Daraja calls: C2B validation and confirmation, and the STK push result.

    POST /webhooks/mpesa/c2b/validation/{token}      register with `switchboard mpesa register-urls`
    POST /webhooks/mpesa/c2b/confirmation/{token}
    POST /webhooks/mpesa/stk/{token}                 the CallBackURL of every payment request

Daraja does not sign its callbacks: the token in the path (``SWITCHBOARD_MPESA__CALLBACK_TOKEN``)
is compared in constant time, and a wrong one is 403 and a log line; with
``SWITCHBOARD_MPESA__ALLOWED_IPS`` set, a callback from any other address is 403 too (behind a
proxy, run uvicorn with ``--forwarded-allow-ips`` so the client address is the caller's). Both
refusals happen before anything is stored. Then every body is stored raw before it is answered;
a malformed one is 400. M-Pesa not configured here: 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from agent_ui.deps import get_services
from agent_ui.errors import PayloadTooLarge
from agent_ui.routes.payments import payments_of
from agent_ui.schemas.payments import DarajaAnswerOut
from agent_ui.services import require
from domain.errors import NotFound, SignatureInvalid
from payments.service import PaymentsHub

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # Daraja's callbacks are about 1 KB

Handle = Callable[[PaymentsHub, bytes, str | None], Awaitable[dict[str, Any]]]


def _allowed(address: str | None, hub: PaymentsHub) -> bool:
    networks = hub.settings.mpesa.networks()
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"an M-Pesa callback is at most {MAX_BODY} bytes", {"limit": MAX_BODY})
        chunks.append(chunk)
    return b"".join(chunks)


async def _answer(request: Request, token: str, handle: Handle) -> dict[str, Any]:
    hub = require(payments_of(get_services(request)), "payments")
    if not hub.settings.mpesa.c2b_ready:
        raise NotFound("M-Pesa is not configured here (set SWITCHBOARD_MPESA__CALLBACK_TOKEN)")
    address = request.client.host if request.client else None
    expected = hub.settings.mpesa.callback_token.get_secret_value()
    if not hmac.compare_digest(token.encode(), expected.encode()):
        log.warning("mpesa: callback to %s with a wrong token refused (from %s)",
                    request.url.path.rsplit("/", 1)[0], address)
        raise SignatureInvalid("wrong M-Pesa callback token", {"path": "token"})
    if not _allowed(address, hub):
        log.warning("mpesa: callback to %s from %s refused: not in SWITCHBOARD_MPESA__ALLOWED_IPS",
                    request.url.path.rsplit("/", 1)[0], address)
        raise SignatureInvalid("this address may not call the M-Pesa webhooks", {"address": address})
    return await handle(hub, await _body(request), address)


async def _validate(hub: PaymentsHub, body: bytes, address: str | None) -> dict[str, Any]:
    return await hub.c2b.validate(body, address)


async def _confirm(hub: PaymentsHub, body: bytes, address: str | None) -> dict[str, Any]:
    return await hub.c2b.confirm(body, address)


async def _stk(hub: PaymentsHub, body: bytes, address: str | None) -> dict[str, Any]:
    return await hub.settlement.on_callback(body, address)


router = APIRouter(prefix="/webhooks/mpesa", tags=["mpesa webhooks"])


@router.post("/c2b/validation/{token}", response_model=DarajaAnswerOut,
             summary="Daraja C2B validation: accept or refuse a payment")
async def validation(request: Request, token: str) -> dict[str, Any]:
    return await _answer(request, token, _validate)


@router.post("/c2b/confirmation/{token}", response_model=DarajaAnswerOut,
             summary="Daraja C2B confirmation: a payment to the paybill")
async def confirmation(request: Request, token: str) -> dict[str, Any]:
    return await _answer(request, token, _confirm)


@router.post("/stk/{token}", response_model=DarajaAnswerOut,
             summary="Daraja STK push result (the CallBackURL of payment requests)")
async def stk_callback(request: Request, token: str) -> dict[str, Any]:
    return await _answer(request, token, _stk)
