"""Recordings: the list, the player, the download, pausing, retention and Twilio's callback.

* ``GET /api/recordings[?customer_id=&call_id=]``: supervisors see every recording, an agent only
  their own calls'. The call log (each call with its controls and recordings, by the same rule) is
  ``GET /api/calls`` (:mod:`agent_ui.routes.call_log`).
* ``POST /api/recordings/{id}/play``: audited; answers the player's URL (a ticket for this user,
  an hour), ``GET /api/recordings/{id}/audio?ticket=`` serves it with HTTP Range (the player seeks).
  Another agent's recording is 404. ``GET /api/recordings/{id}/download``: supervisors, audited.
* ``POST /api/recordings/pause`` ``{"call_id", "paused"}``: the agent pauses/resumes their call's
  recording (card or PIN details); logged in the call log.
* ``POST /twilio/recording?call_id=&agent=``: Twilio's recording status callback, signed like the
  other webhooks; fetches and stores the recording once.
* ``POST /api/recordings/retention`` (admin): run the retention job now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent_ui.components.recordings import RecordingParts, recording_parts
from agent_ui.deps import (
    AdminUser,
    CurrentUser,
    Id,
    Limit,
    ServicesDep,
    SupervisorUser,
    current_user,
    get_services,
    unit_of_work,
)
from agent_ui.recording_view import recording_json
from agent_ui.routes.twilio import TWIML
from agent_ui.schemas.phone import AUDIO, CommandOut, PlayOut, RecordingOut, RetentionOut
from agent_ui.schemas.replies import Items
from agent_ui.services import Services
from cti.twilio.signature import SIGNATURE_HEADER, public_request_url, verify_signature
from domain.errors import InvalidInput, NotFound, PermissionDenied, ProtocolViolation
from domain.events import utcnow
from recordings.access import may_play
from recordings.tickets import check_ticket, issue_ticket
from store.models import RecordingStatus, Role, User
from store.repositories.audit import AuditLog
from store.repositories.recordings import RecordingRepository, RecordingRow

router = APIRouter(tags=["recordings"], dependencies=[Depends(current_user)])
twilio_router = APIRouter(prefix="/twilio", tags=["twilio"], responses=TWIML, default_response_class=Response)


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=80)
    paused: bool


def _own_filter(user: User) -> int | None:
    return None if user.role in (Role.SUPERVISOR, Role.ADMIN) else user.id


async def _playable(services: Services, user: User, recording_id: int) -> RecordingRow:
    async with unit_of_work(services) as session:
        row = await RecordingRepository(session).one(recording_id)
    call_agent = row.call.agent_id if row is not None and row.call is not None else None
    if row is None or not may_play(user.role.value, user.id, row.recording.agent_id, call_agent):
        raise NotFound("no such recording")
    if row.recording.status is not RecordingStatus.STORED or not row.recording.storage_key:
        raise NotFound("this recording is not available (still recording, failed or deleted)")
    return row


@router.get("/api/recordings", response_model=Items[RecordingOut])
async def list_recordings(user: CurrentUser, services: ServicesDep, limit: Limit = 50,
                          customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                          call_id: Annotated[str | None, Query(max_length=80)] = None) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        rows = await RecordingRepository(session).listing(agent_id=_own_filter(user), customer_id=customer_id,
                                                          call_ids=[call_id] if call_id else (), limit=limit)
    return {"items": [recording_json(row, user) for row in rows]}


@router.post("/api/recordings/{recording_id}/play", response_model=PlayOut)
async def play(recording_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    row = await _playable(services, user, recording_id)
    async with unit_of_work(services) as session:
        AuditLog(session, user.id).record("recording_play", "recording", recording_id,
                                          customer_id=row.call.customer_id if row.call else None,
                                          details={"call_id": row.recording.call_id})
    ticket = issue_ticket(services.settings.secret_key.get_secret_value(), recording_id, user.id, now=utcnow())
    return {"url": f"/api/recordings/{recording_id}/audio?ticket={ticket}",
            "duration_ms": row.recording.duration_ms, "content_type": row.recording.content_type}


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    if not header:
        return None
    unit, _, spec = header.partition("=")
    start_text, _, end_text = spec.split(",")[0].strip().partition("-")
    try:
        if unit.strip() != "bytes":
            raise ValueError(unit)
        if not start_text:  # the last N bytes
            start, end = max(0, size - int(end_text)), size - 1
        else:
            start, end = int(start_text), int(end_text) if end_text else size - 1
    except ValueError as exc:
        raise InvalidInput("bad Range header", {"range": header[:80]}) from exc
    if start >= size or start > end:
        raise InvalidInput("the range is outside the recording", {"range": header[:80]})
    return start, min(end, size - 1)


async def _serve(parts: RecordingParts, row: RecordingRow, request: Request, *, attachment: bool) -> Response:
    recording = row.recording
    key, kind = recording.storage_key or "", recording.content_type
    name = f"call-{recording.id}.wav"
    disposition = {"Content-Disposition": f'{"attachment" if attachment else "inline"}; filename="{name}"',
                   "Cache-Control": "private, no-store"}
    path = parts.service.storage.local_path(key)
    if path is not None:
        if not path.is_file():
            raise NotFound("the recording's file is gone")
        return FileResponse(path, media_type=kind, headers=disposition)
    size = await parts.service.storage.size(key)
    wanted = _range(request.headers.get("range"), size)
    start, end = wanted or (0, size - 1)
    headers = {**disposition, "Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(parts.service.storage.stream(key, start, end), status_code=206 if wanted else 200,
                             media_type=kind, headers=headers)


@router.get("/api/recordings/{recording_id}/audio", response_class=Response, responses=AUDIO)
async def audio(recording_id: Id, request: Request, user: CurrentUser, services: ServicesDep,
                ticket: Annotated[str, Query(max_length=80)] = "") -> Response:
    parts = recording_parts(services)  # first: without the storage there is nothing to serve
    row = await _playable(services, user, recording_id)
    if not check_ticket(services.settings.secret_key.get_secret_value(), ticket, recording_id, user.id, now=utcnow()):
        raise PermissionDenied("press play again: this player link has expired", {"ticket": "invalid or expired"})
    return await _serve(parts, row, request, attachment=False)


@router.get("/api/recordings/{recording_id}/download", response_class=Response, responses=AUDIO)
async def download(recording_id: Id, request: Request, user: SupervisorUser, services: ServicesDep) -> Response:
    """Supervisors and admins only (an agent gets 403 whatever the recording: agents play, never download)."""
    parts = recording_parts(services)
    row = await _playable(services, user, recording_id)
    async with unit_of_work(services) as session:
        AuditLog(session, user.id).record("recording_download", "recording", recording_id,
                                          customer_id=row.call.customer_id if row.call else None,
                                          details={"call_id": row.recording.call_id, "sha256": row.recording.sha256})
    return await _serve(parts, row, request, attachment=True)


@router.post("/api/recordings/pause", response_model=CommandOut)
async def pause(body: PauseBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return await recording_parts(services).service.set_paused(user, body.call_id, body.paused)


@router.post("/api/recordings/retention", response_model=RetentionOut)
async def run_retention(admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    return {"deleted": await recording_parts(services).retention.run_once()}


@twilio_router.post("/recording", summary="Recording status callback (the agent leg, two channels)")
async def twilio_recording(request: Request) -> Response:
    services = get_services(request)
    twilio = services.settings.twilio
    form = [(key, str(value)) for key, value in (await request.form()).multi_items()]
    url = public_request_url(services.settings.public_url, request.url.path, request.url.query)
    verify_signature(url, form, request.headers.get(SIGNATURE_HEADER), twilio.auth_token.get_secret_value())
    fields, query = dict(form), request.query_params
    call_id, sid, link = query.get("call_id"), fields.get("RecordingSid", ""), fields.get("RecordingUrl", "")
    if not call_id or not sid.startswith("RE") or not link or fields.get("AccountSid") != twilio.account_sid:
        raise ProtocolViolation("not a recording callback of this account",
                                {"fields": "RecordingSid, RecordingUrl, AccountSid and ?call_id= are required"})
    await recording_parts(services).service.ingest_twilio(
        call_id=call_id, recording_sid=sid, recording_url=link, status=fields.get("RecordingStatus", ""),
        agent=query.get("agent"))
    return Response("<Response/>", media_type="application/xml")
