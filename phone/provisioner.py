"""Writes the PBX includes from the store and asks the PBX to reload them (the I/O of provisioning).

Every write renders the whole file from the current rows, so it is idempotent; a lease serialises
writers across workers, so an older snapshot never lands after a newer one. A file is replaced
atomically (write, fsync, rename) and only when its content changed; the reload is a
``PbxReloadRequested`` on the bus, performed by the Asterisk bridge over AMI (``Reload``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bus.base import Lease
from config.settings import Settings
from domain.errors import ConfigError, Conflict, StoreUnavailable
from domain.events import Event, PbxReloadRequested, utcnow
from phone.pjsip import render_endpoints, render_notice
from store.db import Database
from store.repositories.phone import PhoneLineRepository

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]
LEASE = "phone:provision"
LEASE_TTL = 15.0
PJSIP_MODULE = "res_pjsip.so"
DIALPLAN_MODULE = "pbx_config.so"


@dataclass(frozen=True, slots=True)
class ProvisionReport:
    endpoints: int
    written: tuple[str, ...]  # files whose content changed
    reload_request: str | None  # the PbxReloadRequested's id (None: nothing to reload)

    def to_json(self) -> dict[str, object]:
        return {"endpoints": self.endpoints, "written": list(self.written), "reload_request": self.reload_request}


def _same_content(path: Path, text: str) -> bool:
    """True if ``path`` holds ``text`` apart from its first line (the time stamp)."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return old.partition("\n")[2] == text.partition("\n")[2]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (0640) so the PBX never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Provisioner:
    def __init__(self, database: Database, settings: Settings, publish: Publish, lease: Lease | None,
                 *, worker_id: str = "local") -> None:
        self._db, self._settings, self._publish, self._lease = database, settings, publish, lease
        self._holder = f"{worker_id}:{uuid.uuid4().hex[:8]}"
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self._settings.phone.pjsip_include is not None

    async def provision(self, *, force_reload: bool = False) -> ProvisionReport:
        """Render both includes from the store, write what changed, ask for a reload of it."""
        phone = self._settings.phone
        if phone.pjsip_include is None:  # 409: a state of this install, not a fault of the server
            raise Conflict("provisioning is off: set SWITCHBOARD_PHONE__PJSIP_INCLUDE to the PBX's include file",
                           {"phone.pjsip_include": "not set"})
        async with self._lock:
            await self._acquire()
            try:
                async with self._db.session() as session:
                    lines = await PhoneLineRepository(session).provisioned()
                now = utcnow()
                endpoints = render_endpoints(lines, phone, at=now, media_address=phone.media_address)
                files = [(phone.pjsip_include, endpoints, PJSIP_MODULE)]
                if phone.dialplan_include is not None:
                    files.append((phone.dialplan_include, render_notice(self._settings.recordings, at=now),
                                  DIALPLAN_MODULE))
                written: list[str] = []
                modules: list[str] = []
                for path, text, module in files:
                    if _same_content(path, text) and not force_reload:
                        continue
                    try:
                        await asyncio.to_thread(write_atomically, path, text)
                    except OSError as exc:
                        raise ConfigError(f"cannot write the PBX include {path}: {exc.strerror}",
                                          {"path": str(path)}) from exc
                    written.append(str(path))
                    modules.append(module)
                request_id = None
                if modules:
                    request_id = f"reload-{uuid.uuid4().hex[:12]}"
                    await self._publish(PbxReloadRequested(request_id=request_id, modules=tuple(modules)))
                log.info("provisioned %d browser phone(s); wrote %s", len(lines), written or "nothing new")
                return ProvisionReport(len(lines), tuple(written), request_id)
            finally:
                await self._release()

    async def _acquire(self) -> None:
        if self._lease is None:
            return
        for _ in range(100):  # another worker writes: wait for it (bounded, ~10 s)
            if await self._lease.try_acquire(LEASE, self._holder, LEASE_TTL):
                return
            await asyncio.sleep(0.1)
        raise StoreUnavailable("another worker has been provisioning the PBX for too long")

    async def _release(self) -> None:
        if self._lease is not None:
            await self._lease.release(LEASE, self._holder)
