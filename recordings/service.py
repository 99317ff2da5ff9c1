"""Recording every answered call (when ``recordings.enabled``): start, pause, ingest.

Asterisk: when an agent answers (``AgentConnected``) a row is written and ``MixMonitor`` is asked
for on the customer's channel (both directions mixed, one WAV per call, named after the call so a
repeated event records nothing twice). When the call ends its file, which the PBX writes into
``asterisk_dir`` (this process reads it from ``pickup_dir``), is copied into the storage with its
SHA-256 and length. Twilio records the agent's leg in the call's conference in two channels from the
answer (``cti.twilio.legs``); its signed status callback hands the recording here
(:meth:`RecordingService.ingest_twilio`), which fetches and stores it once.
The agent may pause the recording while the customer gives card or PIN details
(``MixMonitorMute``); pauses and resumes go into the call log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bus.base import EventBus
from config.settings import Settings
from domain.agent_state import AgentState
from domain.errors import Conflict, NotFound
from domain.events import AgentConnected, CallEnded, Event, PbxCommandDone, RecordingAction, RecordingControlRequested
from recordings.media import wait_until_closed, wav_duration_ms
from recordings.storage import RecordingStorage
from recordings.twilio_fetch import checked_url, fetch_recording
from store.db import Database
from store.models import Recording, RecordingStatus, User
from store.repositories.phone import CallActionRepository
from store.repositories.presence import PresenceRepository
from store.repositories.recordings import RecordingRepository, mark_stored

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
LIVE = (RecordingStatus.REQUESTED, RecordingStatus.RECORDING)


def file_name(call_id: str) -> str:
    """The PBX file of a call's recording: one per call (``default/1733.12`` -> ``default-1733.12.wav``)."""
    return _UNSAFE.sub("-", call_id).strip("-.")[:100] + ".wav"


def storage_key(recording: Recording) -> str:
    return f"{recording.started_at:%Y/%m/%d}/{recording.external_ref}"


class RecordingService:
    def __init__(self, database: Database, settings: Settings, storage: RecordingStorage, publish: Publish,
                 *, http: httpx.AsyncClient | None = None) -> None:
        self._db, self._settings, self.storage, self._publish = database, settings, storage, publish
        self._http = http

    @property
    def enabled(self) -> bool:
        return self._settings.recordings.enabled

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(AgentConnected, self.on_connected, group="recordings-start")
        bus.subscribe(CallEnded, self.on_ended, group="recordings-ingest", concurrency=4)
        bus.subscribe(PbxCommandDone, self.on_command_done, group="recordings-results")

    # -- Asterisk --------------------------------------------------------------------------------
    async def on_connected(self, ev: AgentConnected) -> None:
        if not self.enabled or ev.carrier != "asterisk" or not ev.device:
            return
        name, request_id = file_name(ev.call_id), f"rec-{uuid.uuid4().hex[:16]}"
        try:
            async with self._db.session() as session:
                repo = RecordingRepository(session)
                if await repo.by_ref(name) is not None:
                    return  # the call is already being recorded (a transfer, a redelivered event)
                session.add(Recording(call_id=ev.call_id, carrier="asterisk", server=ev.server, external_ref=name,
                                      status=RecordingStatus.REQUESTED, agent_id=await repo.agent_of_device(ev.device),
                                      device=ev.device, request_id=request_id, started_at=ev.at))
        except IntegrityError:
            return  # another worker wrote it first
        folder = self._settings.recordings.asterisk_dir.rstrip("/")
        await self._publish(RecordingControlRequested(request_id=request_id, call_id=ev.call_id, device=ev.device,
                                                      action=RecordingAction.START, file=f"{folder}/{name}",
                                                      server=ev.server))

    async def on_command_done(self, ev: PbxCommandDone) -> None:
        if ev.command != "recording":
            return
        async with self._db.session() as session:
            recording = await RecordingRepository(session).by_request(ev.request_id)
            if recording is not None:
                if recording.status is RecordingStatus.REQUESTED:
                    recording.status = RecordingStatus.RECORDING if ev.ok else RecordingStatus.FAILED
                    recording.failure = None if ev.ok else (ev.message or "the PBX refused")[:500]
                return
            action = await CallActionRepository(session).settle(ev.request_id, ev.ok, ev.message)
            if action is not None and ev.ok:
                for row in await RecordingRepository(session).of_call(action.call_id):
                    row.paused = action.action == "recording_pause"
        if not ev.ok:
            log.warning("recording command %s failed: %s", ev.request_id, ev.message)

    async def on_ended(self, ev: CallEnded) -> None:
        async with self._db.session() as session:
            waiting = [r.id for r in await RecordingRepository(session).of_call(ev.call_id)
                       if r.status in LIVE and r.carrier == "asterisk"]
        for recording_id in waiting:
            await self.ingest_pbx_file(recording_id)

    async def ingest_pbx_file(self, recording_id: int) -> Recording | None:
        """Move the PBX's finished file into the storage (or mark the recording failed)."""
        settings = self._settings.recordings
        async with self._db.session() as session:
            recording = await RecordingRepository(session).get(recording_id)
            if recording is None or recording.status not in LIVE:
                return recording
            name = recording.external_ref
        source = Path(settings.pickup_dir or settings.asterisk_dir) / name
        if not await wait_until_closed(source, timeout=settings.ingest_wait_seconds):
            return await self._fail(recording_id, f"the PBX's file {name} did not appear")
        return await self._store(recording_id, source, remove_source=True)

    async def _store(self, recording_id: int, source: Path, *, remove_source: bool) -> Recording | None:
        async with self._db.session() as session:
            recording = await RecordingRepository(session).get(recording_id)
            if recording is None:
                return None
            key = storage_key(recording)
            stored = await self.storage.put_file(key, source, recording.content_type)
            mark_stored(recording, key=key, size=stored.size, sha256=stored.sha256,
                        duration_ms=wav_duration_ms(source))
        if remove_source:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(source.unlink)
        log.info("recording %d of %s stored (%d bytes, sha256 %s)", recording_id, recording.call_id, stored.size,
                 stored.sha256[:12])
        return recording

    async def _fail(self, recording_id: int, reason: str) -> Recording | None:
        async with self._db.session() as session:
            recording = await RecordingRepository(session).get(recording_id)
            if recording is not None:
                recording.status, recording.failure = RecordingStatus.FAILED, reason
        log.warning("recording %d failed: %s", recording_id, reason)
        return recording

    async def set_paused(self, user: User, call_id: str, paused: bool) -> dict[str, Any]:
        """The agent pauses (card or PIN details) or resumes the recording of their current call."""
        async with self._db.session() as session:
            view = await PresenceRepository(session).view(user)
            if view.call_id != call_id or view.state is not AgentState.ON_CALL or not user.extension:
                raise NotFound("you are not on this call")
            live = [r for r in await RecordingRepository(session).of_call(call_id) if r.status in LIVE]
            if not live or live[0].carrier != "asterisk":
                raise Conflict("this call is not being recorded here", {"call_id": call_id})
            request_id = f"recp-{uuid.uuid4().hex[:16]}"
            action = "recording_pause" if paused else "recording_resume"
            CallActionRepository(session).add(call_id, action, actor_id=user.id, outcome="requested",
                                              request_id=request_id)
            server = live[0].server
        log.info("recording of %s %s by %s", call_id, "paused" if paused else "resumed", user.username)
        await self._publish(RecordingControlRequested(
            request_id=request_id, call_id=call_id, device=user.extension, server=server,
            action=RecordingAction.PAUSE if paused else RecordingAction.RESUME))
        return {"request_id": request_id, "action": action, "outcome": "requested"}

    # -- Twilio ------------------------------------------------------------------------------------
    async def ingest_twilio(self, *, call_id: str, recording_sid: str, recording_url: str, status: str,
                            agent: str | None) -> Recording | None:
        """A signed recording callback: fetch and store the recording once (a repeat changes nothing)."""
        if status != "completed":
            log.info("twilio recording %s of %s is %s: nothing to fetch", recording_sid, call_id, status)
            return None
        checked_url(recording_url, self._settings.twilio)  # before anything is written
        try:
            recording_id = await self._twilio_row(call_id, recording_sid, agent)
        except IntegrityError:
            log.info("twilio recording %s is being stored by another request", recording_sid)
            return None
        if recording_id is None:
            return None  # stored before: the callback was repeated
        if self._http is None:
            raise Conflict("this process cannot fetch recordings", {"http": "none"})
        with tempfile.TemporaryDirectory(prefix="sb-rec-") as folder:
            target = Path(folder) / f"{recording_sid}.wav"
            await fetch_recording(self._http, recording_url, self._settings.twilio, target)
            return await self._store(recording_id, target, remove_source=False)

    async def _twilio_row(self, call_id: str, recording_sid: str, agent: str | None) -> int | None:
        async with self._db.session() as session:
            repo = RecordingRepository(session)
            recording = await repo.by_ref(recording_sid)
            if recording is not None and recording.status is RecordingStatus.STORED:
                return None
            if recording is None:
                agent_id = None
                if agent:
                    agent_id = await session.scalar(select(User.id).where(User.username == agent))
                recording = Recording(call_id=call_id, carrier="twilio", external_ref=recording_sid,
                                      status=RecordingStatus.RECORDING, agent_id=agent_id)
                session.add(recording)
            await session.flush()
            return recording.id
