"""Twilio's webhooks: six POST routes, each one line over :class:`cti.twilio.service.TwilioVoiceService`.

Configure the Twilio number: Voice URL ``{PUBLIC_URL}/twilio/voice?queue=<queue>`` (POST) and status
callback ``{PUBLIC_URL}/twilio/status`` (POST). The other paths are URLs we hand to Twilio inside
our TwiML and Calls API requests. Every request's ``X-Twilio-Signature`` is checked against
``SWITCHBOARD_PUBLIC_URL`` + path + query: forged, missing, tampered or other-URL -> 403 (and a log
line); a signed but malformed form -> 400; Twilio not configured -> 404. Answers are TwiML
(``application/xml``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from agent_ui.deps import get_services
from agent_ui.twilio_component import SERVICE_KEY
from cti.twilio.service import TwilioVoiceService, WebhookRequest
from cti.twilio.signature import SIGNATURE_HEADER
from domain.errors import NotFound

router = APIRouter(prefix="/twilio", tags=["twilio"])

Handler = Callable[[TwilioVoiceService, WebhookRequest], Awaitable[str]]


def _service(request: Request) -> TwilioVoiceService:
    service = get_services(request).extras.get(SERVICE_KEY)
    if not isinstance(service, TwilioVoiceService):
        raise NotFound("Twilio is not configured here (set SWITCHBOARD_TWILIO__ACCOUNT_SID)")
    return service


async def _answer(request: Request, handle: Handler) -> Response:
    service = _service(request)
    form = await request.form()
    webhook = WebhookRequest(request.url.path, request.url.query,
                             [(key, str(value)) for key, value in form.multi_items()],
                             request.headers.get(SIGNATURE_HEADER))
    return Response(await handle(service, webhook), media_type="application/xml")


@router.post("/voice", summary="A new inbound call (the number's Voice URL; ?queue=NAME)")
async def voice(request: Request) -> Response:
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
