"""Which agent a device (``PJSIP/1001``, ``client:amina``) belongs to, remembered for a few seconds.

Every ring and answer needs it (the pop's recipient, the presence view), and extensions rarely
change: a lookup is kept ``DEVICE_CACHE_SECONDS``, so a changed extension is seen within that time.
"""

from __future__ import annotations

import time

from store.db import Database
from store.presence import AgentIdentity, identity_by_device

DEVICE_CACHE_SECONDS = 10.0
MAX_DEVICES = 10_000


class DeviceDirectory:
    def __init__(self, database: Database, *, ttl: float = DEVICE_CACHE_SECONDS) -> None:
        self._db = database
        self._ttl = ttl
        self._known: dict[str, tuple[float, AgentIdentity]] = {}

    def cached(self, device: str) -> AgentIdentity | None:
        """The remembered agent of ``device``, if still fresh (no I/O)."""
        found = self._known.get(device)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def remember(self, device: str, who: AgentIdentity | None) -> None:
        if who is None:
            self._known.pop(device, None)
            return
        if len(self._known) >= MAX_DEVICES:
            self._known.clear()
        self._known[device] = (time.monotonic() + self._ttl, who)

    async def agent(self, device: str) -> AgentIdentity | None:
        """The agent of ``device`` (None if nobody has it)."""
        found = self.cached(device)
        if found is None:
            async with self._db.transaction() as connection:
                found = await identity_by_device(connection, device)
            self.remember(device, found)
        return found
