"""The IVR's routes: Twilio's requests (signed), the recorded prompts Twilio plays, the wallboard panel.

* ``POST /twilio/voice?ivr=main``: the number's Voice URL (the Twilio router hands it here);
* ``POST /twilio/ivr?s=<session>&n=<step>``: each ``<Gather>`` action and the no-input redirect;
* ``GET /ivr/prompts/{lang}/{name}.wav``: a recorded prompt (public: Twilio fetches it);
* ``GET /api/ivr/wallboard``: the IVR panel's snapshot (supervisors).

Every Twilio request's ``X-Twilio-Signature`` is checked against ``SWITCHBOARD_PUBLIC_URL`` + path
+ query, like every other webhook: forged or tampered -> 403; Twilio not configured -> 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse

from agent_ui.components.ivr import ivr_parts
from agent_ui.deps import ServicesDep, SupervisorUser, get_services
from agent_ui.schemas.ivr import IvrPanelOut
from agent_ui.services import require
from agent_ui.webhook_form import form_pairs
from cti.twilio.signature import SIGNATURE_HEADER, public_request_url, verify_signature
from domain.errors import NotFound
from ivr.twilio_flow import recorded_file

router = APIRouter(tags=["ivr"])
TWIML: dict[int | str, dict[str, Any]] = {200: {"content": {"application/xml": {"schema": {"type": "string"}}},
                                                "description": "TwiML"}}
WAV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
          "description": "the recorded prompt (WAV)"}}


async def _signed_form(request: Request) -> dict[str, str]:
    services = get_services(request)
    settings = services.settings
    require(services.twilio, "twilio")  # Twilio's webhooks are served where its component runs
    form = await form_pairs(request)
    url = public_request_url(settings.public_url, request.url.path, request.url.query)
    verify_signature(url, form, request.headers.get(SIGNATURE_HEADER), settings.twilio.auth_token.get_secret_value())
    return dict(form)


async def voice_with_ivr(request: Request) -> Response:
    """``/twilio/voice?ivr=<menu>``: a new caller in the menu (called by the Twilio router)."""
    form = await _signed_form(request)
    twiml = await ivr_parts(get_services(request)).twilio.start(form, request.query_params.get("ivr", ""))
    return Response(twiml, media_type="application/xml")


@router.post("/twilio/ivr", summary="The IVR's <Gather> action (and its no-input redirect)",
             response_class=Response, responses=TWIML)
async def gather(request: Request) -> Response:
    form = await _signed_form(request)
    query = dict(request.query_params)
    twiml = await ivr_parts(get_services(request)).twilio.gather(form, query)
    return Response(twiml, media_type="application/xml")


@router.get("/ivr/prompts/{language}/{name}.wav", summary="A recorded prompt, for Twilio's <Play>",
            response_class=FileResponse, responses=WAV)
async def recorded_prompt(language: Annotated[str, Path(pattern=r"^[a-z]{2,3}$")],
                          name: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,80}$")],
                          services: ServicesDep) -> FileResponse:
    folder = services.settings.ivr.recordings_dir
    found = None if folder is None else recorded_file(folder, language, name)
    if found is None:
        raise NotFound(f"no recorded prompt {language}/{name}")
    return FileResponse(found, media_type="audio/wav")


@router.get("/api/ivr/wallboard", summary="The wallboard's IVR panel (supervisors)", response_model=IvrPanelOut)
async def wallboard(_user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    panel = ivr_parts(services).panel
    if panel is None:
        raise NotFound("the IVR panel needs the event bus")
    return await panel.snapshot()
