"""Wires call recording into the app (see ``recordings/``): the storage the settings name, the
recording service (start on answer, ingest at the end, pause, Twilio callbacks) and the retention
job (a supervised loop; one worker per round through a lease). ``services.recordings``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from fastapi import APIRouter

from agent_ui.services import Services, require
from domain.errors import SwitchboardError
from recordings.retention import RetentionJob
from recordings.service import RecordingService
from recordings.storage import build_storage

log = logging.getLogger(__name__)
RETENTION_TASK = "recordings-retention"


@dataclass
class RecordingParts:
    service: RecordingService
    retention: RetentionJob
    http: httpx.AsyncClient


def recording_parts(services: Services) -> RecordingParts:
    return require(services.recordings, "recordings")


class RecordingsComponent:
    name = "recordings"

    async def start(self, services: Services) -> None:
        settings, bus = services.settings, services.bus
        if bus is None:
            raise SwitchboardError("recordings need the bus")
        storage = build_storage(settings.recordings)
        http = httpx.AsyncClient(timeout=60.0, follow_redirects=True)
        service = RecordingService(services.database, settings, storage, bus.publish, http=http)
        service.subscribe(bus)
        retention = RetentionJob(services.database, storage, settings.recordings, services.lease,
                                 worker_id=settings.worker_id)
        services.supervisor.spawn(RETENTION_TASK, retention.run)
        services.recordings = RecordingParts(service, retention, http)
        log.info("recordings %s (storage: %s, retention %d days)",
                 "on" if settings.recordings.enabled else "off", storage.name, settings.recordings.retention_days)

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(RETENTION_TASK)
        parts, services.recordings = services.recordings, None
        if parts is not None:
            await parts.http.aclose()


def routes() -> list[APIRouter]:
    from agent_ui.routes import recordings

    return [recordings.router, recordings.twilio_router]
