"""The supervisor wallboard's IVR panel, pushed from the IVR's events (no polling by the page).

Each IVR event marks the panel changed; one supervised loop recomputes it at most every
``every`` seconds (one set of aggregate queries, :func:`store.repositories.ivr_panel.ivr_panel`)
and appends ``wallboard.ivr`` to the supervisors' stream. The page reads the snapshot from
``GET /api/ivr/wallboard`` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bus.base import EventBus, Outbox
from bus.outbox_names import WALLBOARD_IVR
from domain.events import Event, IvrCallbackBooked, IvrPromiseTaken, IvrSessionEnded, IvrSessionStarted, utcnow
from store.db import Database
from store.repositories.ivr_panel import ivr_panel

FRAME = WALLBOARD_IVR
GROUP = "ivr-panel"


class IvrPanel:
    def __init__(self, database: Database, outbox: Outbox, *, stream: str, timezone: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._outbox, self._stream, self._tz, self._clock = database, outbox, stream, timezone, clock
        self._dirty = False

    def subscribe(self, bus: EventBus) -> None:
        for kind in (IvrSessionStarted, IvrSessionEnded, IvrPromiseTaken, IvrCallbackBooked):
            bus.subscribe(kind, self.on_event, group=GROUP)

    async def on_event(self, _event: Event) -> None:
        self._dirty = True

    async def snapshot(self) -> dict[str, Any]:
        async with self._db.session() as session:
            return await ivr_panel(session, now=self._clock(), tz=self._tz)

    async def flush(self) -> bool:
        """Push the panel if it changed since the last push."""
        if not self._dirty:
            return False
        self._dirty = False
        try:
            await self._outbox.append(self._stream, FRAME, await self.snapshot())
        except BaseException:
            self._dirty = True  # pushed again next time
            raise
        return True

    async def run(self, every: float = 1.0) -> None:
        """The push loop (run under the task supervisor)."""
        while True:
            await asyncio.sleep(every)
            await self.flush()
