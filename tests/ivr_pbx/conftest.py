"""The IVR on the real test PBX: the whole app (its FastAGI server on 127.0.0.1:4573), Asterisk
running the README's dialplan lines for DID 0800123458, the prompts rendered and installed into
the PBX, and customers calling with sipp (SIP INFO DTMF).

The IVR's clock is fixed (Monday 7 December 2026, 10:00 in Nairobi). The demo's Amina Wanjiru
(0712345678, account CL-100001, agent1) is the caller unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_ui.components.ivr import ivr_parts
from ivr.agi.server import AgiStats
from store.db import Database
from store.models import Customer, IvrSession
from tests.cti_pbx.conftest import Live, app_on_pbx, pbx_env  # noqa: F401 - fixtures
from tests.cti_pbx.support import until
from tests.pbx.harness import PBX_SH, REPO, Pbx
from tests.pbx.record_ami import AmiConn

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
AGI_PORT = "4573"


@pytest.fixture(scope="session")
def prompts_installed(pbx: Pbx) -> Path:
    """The prompts rendered (espeak-ng) into the PBX's sounds directory (skipped when up to date)."""
    env = {**os.environ, "SWITCHBOARD_PYTHON": sys.executable, "PYTHONPATH": str(REPO)}
    done = subprocess.run(["bash", str(PBX_SH), "prompts"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    sounds = pbx.root / "usr/share/asterisk/sounds/switchboard"
    assert (sounds / "en" / "greeting.wav").is_file() and (sounds / "sw" / "w_elfu.wav").is_file()
    return sounds


@dataclass
class AgiWatch:
    """Asterisk's own account of the IVR (AMI user switchboard-ivr: classes dtmf and agi)."""

    ami: AmiConn = field(default_factory=AmiConn)
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.ami.connect()
        await self.ami.login("switchboard-ivr", "switchboard-ivr-test")

        async def read() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while True:
                    try:
                        await self.ami.read_message(within=3600)
                    except TimeoutError:
                        continue

        self.task = asyncio.create_task(read(), name="agi-watch")

    def ends(self, command: str) -> list[dict[str, str]]:
        return [m for m in self.ami.messages if m.get("Event") == "AGIExecEnd"
                and m.get("Command", "").startswith(command)]

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.ami.close()


@dataclass
class IvrLive:
    live: Live
    database: Database
    id_last4: str
    watch: AgiWatch

    @property
    def agi_stats(self) -> AgiStats:
        agi = ivr_parts(self.live.app.services).agi
        assert agi is not None
        return agi.stats

    async def sessions(self) -> list[IvrSession]:
        async with self.database.session() as session:
            return list((await session.scalars(select(IvrSession).order_by(IvrSession.id))).all())

    async def ended_session(self, within: float = 20) -> IvrSession:
        """The one session, once it has its outcome."""
        async def ended() -> IvrSession | None:
            rows = await self.sessions()
            return rows[-1] if rows and rows[-1].outcome is not None else None

        found: IvrSession = await until(ended, within, "the IVR session's outcome")
        return found


@pytest.fixture
def agi_port_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_IVR__AGI_PORT", AGI_PORT)


@pytest.fixture
async def ivr_live(pbx_clean: Pbx, pbx_env: dict[str, str], agi_port_env: None,  # noqa: F811
                   prompts_installed: Path, database: Database, database_url: str,
                   tmp_path: Path) -> AsyncIterator[IvrLive]:
    del pbx_env, agi_port_env, prompts_installed
    async with app_on_pbx(pbx_clean, database, database_url, tmp_path, quiet_demo_work=True) as live:
        parts = ivr_parts(live.app.services)
        assert parts.agi is not None and parts.agi.port == int(AGI_PORT)
        parts.data.clock = lambda: NOW
        async with database.session() as session:
            gov = await session.scalar(select(Customer.government_id).where(Customer.name == "Amina Wanjiru"))
        assert gov is not None
        watch = AgiWatch()
        await watch.start()
        try:
            yield IvrLive(live, database, "".join(c for c in gov if c.isdigit())[-4:], watch)
        finally:
            await watch.stop()
