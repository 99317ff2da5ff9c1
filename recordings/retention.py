"""Retention: recordings older than ``retention_days`` are deleted from the storage, and the audit
log says so (one entry per recording, no actor: the job). The row stays, marked ``deleted``.

One worker runs each round (a lease), every ``retention_check_seconds``; a round deletes in
bounded batches until nothing expired is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bus.base import Lease
from config.phone_settings import RecordingSettings
from domain.errors import NotFound, SwitchboardError
from domain.events import utcnow
from recordings.storage import RecordingStorage
from store.db import Database
from store.models import RecordingStatus
from store.repositories.audit import AuditLog
from store.repositories.recordings import RecordingRepository

log = logging.getLogger(__name__)
LEASE = "recordings:retention"
MAX_ROUNDS = 100  # x 500 per batch: a round never runs unbounded


class RetentionJob:
    def __init__(self, database: Database, storage: RecordingStorage, settings: RecordingSettings,
                 lease: Lease | None, *, worker_id: str = "local", clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._storage, self._settings, self._lease = database, storage, settings, lease
        self._holder = f"{worker_id}:{uuid.uuid4().hex[:8]}"
        self._clock = clock

    async def run_once(self) -> int:
        """Delete every expired recording now; returns how many."""
        days = self._settings.retention_days
        before = self._clock() - timedelta(days=days)
        deleted = 0
        for _ in range(MAX_ROUNDS):
            async with self._db.session() as session:
                repo = RecordingRepository(session)
                batch = await repo.expired(before)
                if not batch:
                    break
                audit = AuditLog(session, None)
                for recording in batch:
                    if recording.storage_key:
                        with contextlib.suppress(NotFound):  # already gone: still recorded as deleted
                            await self._storage.delete(recording.storage_key)
                    call = await repo.call(recording.call_id)
                    audit.record("recording_deleted", "recording", recording.id,
                                 customer_id=None if call is None else call.customer_id,
                                 details={"reason": "retention", "retention_days": days, "call_id": recording.call_id,
                                          "started_at": recording.started_at.isoformat(), "sha256": recording.sha256})
                    recording.status, recording.deleted_at = RecordingStatus.DELETED, self._clock()
                    recording.storage_key = None
                    deleted += 1
        if deleted:
            log.info("retention: deleted %d recording(s) older than %d days", deleted, days)
        return deleted

    async def run(self) -> None:
        """Forever (supervised): a round when this worker holds the lease, then sleep."""
        every = self._settings.retention_check_seconds
        await asyncio.sleep(min(every, 300.0))  # not in the middle of the start-up
        while True:
            try:
                if self._lease is None or await self._lease.try_acquire(LEASE, self._holder, every * 2):
                    await self.run_once()
            except SwitchboardError as exc:
                log.warning("retention round failed: %s", exc.message)
            await asyncio.sleep(every)
