"""Fixtures of the in-process CTI tests: the real app (uvicorn in the test's loop) on the test PBX."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import update

from config.settings import Settings
from cti.ami.bridge import AsteriskBridge
from store.db import Database
from store.models import FollowUpTask
from tests.cti_pbx.support import AgentClient, ami_env, member_paused, seed, until
from tests.pbx.harness import Pbx
from tests.support.server import RunningApp, running_app


@dataclass
class Live:
    app: RunningApp
    database: Database
    amina_id: int
    pbx: Pbx
    clients: list[AgentClient] = field(default_factory=list)

    @property
    def bridge(self) -> AsteriskBridge:
        assert self.app.services.asterisk is not None
        [bridge] = self.app.services.asterisk.bridges
        assert isinstance(bridge, AsteriskBridge)
        return bridge

    def bridge_up(self) -> bool:
        bridge = self.bridge
        return bridge.events is not None and bridge.events.connected and bridge.actions.connected

    async def wait_bridge_up(self, within: float = 15) -> None:
        async def up() -> bool:
            return self.bridge_up()

        await until(up, within, "the AMI bridge (event and action connections) to log in")

    async def agent(self, username: str, *, ready: bool = True) -> AgentClient:
        client = AgentClient(username, self.app.base_url, self.app.ws_url)
        await client.login()
        await client.connect()
        self.clients.append(client)
        if ready:
            await client.set_state("ready")
            await member_paused(f"PJSIP/{client.extension}", False)
        return client


@pytest.fixture
def pbx_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = ami_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@contextlib.asynccontextmanager
async def app_on_pbx(pbx: Pbx, database: Database, database_url: str, tmp_path: Path,
                     *, quiet_demo_work: bool = False) -> AsyncIterator[Live]:
    """The whole app on ``database`` (settings from the environment), its AMI bridge logged in.

    ``quiet_demo_work``: the demo's follow-ups are marked done before the app starts, so the
    dialer's generator makes no call task of its own (the demo's callback for Amina falls due
    during the day, and would otherwise outrank the task a dialer test queues after that hour).
    """
    amina = await seed(database)
    if quiet_demo_work:
        async with database.session() as session:
            await session.execute(update(FollowUpTask).values(done=True))
    settings = Settings(database_url=database_url, attachments_dir=tmp_path / "att")
    async with running_app(settings) as app:
        live = Live(app, database, amina, pbx)
        await live.wait_bridge_up()
        try:
            yield live
        finally:
            for client in live.clients:
                await client.close()


@pytest.fixture
async def live(pbx_clean: Pbx, pbx_env: dict[str, str], database: Database, database_url: str,
               tmp_path: Path) -> AsyncIterator[Live]:
    """The whole app on ``database``, its AMI bridge logged in to the test PBX (settings from env)."""
    del pbx_env
    assert os.environ["SWITCHBOARD_AMI__DEAD_AFTER"]
    async with app_on_pbx(pbx_clean, database, database_url, tmp_path) as live:
        assert live.app.services.settings.ami.host == "127.0.0.1"
        yield live
