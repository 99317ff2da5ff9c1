"""Twilio's webhooks: six POST routes, each one line over :class:`cti.twilio.service.TwilioVoiceService`.

Configure the Twilio number: Voice URL ``{PUBLIC_URL}/twilio/voice?queue=<queue>`` (POST) and status
callback ``{PUBLIC_URL}/twilio/status`` (POST). The other paths are URLs we hand to Twilio inside
our TwiML and Calls API requests. Every request's ``X-Twilio-Signature`` is checked against
``SWITCHBOARD_PUBLIC_URL`` + path + query: forged, missing, tampered or other-URL -> 403 (and a log
line); a signed but malformed form -> 400; Twilio not configured -> 503 ``component-unavailable``. Answers are TwiML
(``application/xml``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from agent_ui.deps import get_services
from agent_ui.routes.ivr import voice_with_ivr
from agent_ui.services import require
from agent_ui.webhook_form import form_pairs
from cti.twilio.service import TwilioVoiceService, WebhookRequest
from cti.twilio.signature import SIGNATURE_HEADER

# every answer is TwiML; Twilio signs every request (X-Twilio-Signature): 403 otherwise
TWIML: dict[int | str, dict[str, object]] = {200: {"content": {"application/xml": {"schema": {"type": "string"}}},
                                                   "description": "TwiML"}}
router = APIRouter(prefix="/twilio", tags=["twilio"], responses=TWIML, default_response_class=Response)

Handler = Callable[[TwilioVoiceService, WebhookRequest], Awaitable[str]]


def _service(request: Request) -> TwilioVoiceService:
    return require(get_services(request).twilio, "twilio").service


async def _answer(request: Request, handle: Handler) -> Response:
    service = _service(request)
    webhook = WebhookRequest(request.url.path, request.url.query, await form_pairs(request),
                             request.headers.get(SIGNATURE_HEADER))
    return Response(await handle(service, webhook), media_type="application/xml")


@router.post("/voice", summary="A new inbound call (the number's Voice URL; ?queue=NAME, or ?ivr=MENU)")
async def voice(request: Request) -> Response:
    if request.query_params.get("ivr"):  # the customers' menu first (agent_ui.routes.ivr)
        return await voice_with_ivr(request)
    return await _answer(request, TwilioVoiceService.handle_voice)


@router.post("/status", summary="Status callbacks of every leg")
async def status(request: Request) -> Response:
    return await _answer(request, TwilioVoiceService.handle_status)


@router.post("/dial-action", summary="A <Dial> ended: next agent, queue, or the outbound result")
async def dial_action(request: Request) -> Response:
    return await _answer(request, TwilioVoiceService.handle_dial_action)


@router.post("/wait", summary="<Enqueue waitUrl>: the caller's position, then hold music")
async def wait(request: Request) -> Response:
    return await _answer(request, TwilioVoiceService.handle_wait)


@router.post("/connect", summary="A waiting caller redirected to the agent who turned ready")
async def connect(request: Request) -> Response:
    return await _answer(request, TwilioVoiceService.handle_connect)


@router.post("/outbound", summary="Our outbound agent leg answered: dial the customer")
async def outbound(request: Request) -> Response:
    return await _answer(request, TwilioVoiceService.handle_outbound)
