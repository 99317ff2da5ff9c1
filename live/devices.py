"""Which agent a device (``PJSIP/1001``, ``client:amina``) belongs to, remembered for a few seconds.

Every ring and answer needs it (the pop's recipient, the presence view), and extensions rarely
change: the whole directory (every user with an extension, one query) is reloaded when it is
older than ``DEVICE_CACHE_SECONDS``, so a changed extension is seen within that time; a device
not in it (an agent added since) is looked up on its own and remembered until the next reload.
"""

from __future__ import annotations

import time

from store.db import Database
from store.repositories.presence import AgentIdentity, all_identities, identity_by_device

DEVICE_CACHE_SECONDS = 10.0


class DeviceDirectory:
    def __init__(self, database: Database, *, ttl: float = DEVICE_CACHE_SECONDS) -> None:
        self._db = database
        self._ttl = ttl
        self._known: dict[str, AgentIdentity] = {}
        self._fresh_until = 0.0

    def cached(self, device: str) -> AgentIdentity | None:
        """The remembered agent of ``device``, if the directory is still fresh (no I/O)."""
        return self._known.get(device) if time.monotonic() < self._fresh_until else None

    def remember(self, device: str, who: AgentIdentity | None) -> None:
        if who is None:
            self._known.pop(device, None)
        else:
            self._known[device] = who

    async def agent(self, device: str) -> AgentIdentity | None:
        """The agent of ``device`` (None if nobody has it)."""
        if time.monotonic() >= self._fresh_until:
            async with self._db.autocommit() as connection:
                known = {who.device: who for who in await all_identities(connection) if who.device}
            self._known, self._fresh_until = known, time.monotonic() + self._ttl
        found = self._known.get(device)
        if found is None:
            async with self._db.autocommit() as connection:
                found = await identity_by_device(connection, device)
            self.remember(device, found)
        return found
