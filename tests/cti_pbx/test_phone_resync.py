"""A browser phone's registration confirmed after a gap in the AMI event link, on the real PBX.

The app's worker loses the ``ami:default`` lease (another holder takes it, as under load in CI:
"lease ami:default lost"), so its event connection stops; meanwhile the phone of a browser-phone
agent registers with the PBX (sipp REGISTERs the provisioned endpoint with the session's secret), so
its ``ContactStatus`` goes unseen. When the lease comes back the resync lists the contacts
(``PJSIPShowContacts``): the line is registered in the store and the agent's desk gets its
``phone.registration`` frame. Then the phone unregisters during a second gap: after that resync
the line is unregistered ("Removed") and the desk told.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from store.db import Database
from store.models import PhoneLine
from tests.cti_pbx.conftest import Live, app_on_pbx
from tests.cti_pbx.support import AgentClient, ami_env, until
from tests.pbx.harness import Pbx
from tests.pbx.phones import SIPP_DIR

pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
ENDPOINT, AGENT, PORT = "2093", "phoneresync", 5093
THIEF = "another-worker"


@pytest.fixture
def phone_env(pbx_clean: Pbx, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The app provisions into the test PBX's includes; what they held before is put back after."""
    etc = pbx_clean.root / "etc/asterisk-test"
    includes = [etc / "pjsip_switchboard.conf", etc / "extensions_switchboard.conf"]
    before = {p: p.read_bytes() for p in includes if p.exists()}
    for key, value in ami_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SWITCHBOARD_PHONE__PJSIP_INCLUDE", str(includes[0]))
    monkeypatch.setenv("SWITCHBOARD_PHONE__DIALPLAN_INCLUDE", str(includes[1]))
    try:
        yield etc
    finally:
        for path in includes:
            if path in before:
                path.write_bytes(before[path])
            else:
                path.unlink(missing_ok=True)
        pbx_clean.cli("module reload res_pjsip.so")


@pytest.fixture
async def live(phone_env: Path, pbx_clean: Pbx, database: Database, database_url: str,
               tmp_path: Path) -> AsyncIterator[Live]:
    async with app_on_pbx(pbx_clean, database, database_url, tmp_path) as live:
        yield live


def _register(secret: str, expires: int) -> None:
    done = subprocess.run(
        ["sipp", "127.0.0.1:5060", "-sf", str(SIPP_DIR / "uac_register.xml"), "-i", "127.0.0.1", "-p", str(PORT),
         "-s", ENDPOINT, "-au", ENDPOINT, "-ap", secret, "-key", "expires", str(expires), "-m", "1",
         "-nostdin", "-timeout", "10s", "-timeout_error"],
        capture_output=True, text=True, timeout=30, cwd=os.environ.get("TMPDIR", "/tmp"))
    assert done.returncode == 0, f"the REGISTER (expires {expires}) failed: {done.stdout[-800:]}"


async def _api(live: Live, method: str, path: str, token: str, **kw: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.app.base_url, timeout=10) as client:
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)  # type: ignore[arg-type]


async def _line(database: Database) -> PhoneLine:
    async with database.session() as session:
        line = await session.scalar(select(PhoneLine).where(PhoneLine.sip_user == ENDPOINT))
    assert line is not None
    return line


async def _gap(live: Live) -> None:
    """Another holder takes the lease: this worker's event connection stops."""
    keeper = live.bridge.keeper
    await keeper.lease.release(keeper.name, keeper.holder)
    assert await keeper.lease.try_acquire(keeper.name, THIEF, ttl=60)
    keeper.recheck()

    async def stopped() -> bool:
        return live.bridge.events is None and not keeper.held

    await until(stopped, 10, "the event connection to stop with the lease")


async def _back(live: Live) -> None:
    keeper = live.bridge.keeper
    assert await keeper.lease.release(keeper.name, THIEF)
    await live.wait_bridge_up(15)


async def test_registered_while_the_link_was_down_then_gone_during_the_next_gap(live: Live) -> None:
    admin = AgentClient("admin", live.app.base_url, live.app.ws_url)
    await admin.login()
    made = await _api(live, "POST", "/api/users", admin.token, json={
        "username": AGENT, "password": f"{AGENT}-pass", "role": "agent", "display_name": "Phone Resync",
        "extension": f"PJSIP/{ENDPOINT}", "queues": ["collections"]})
    assert made.status_code == 201, made.text
    declared = await _api(live, "PUT", f"/api/users/{AGENT}/phone", admin.token, json={"kind": "webrtc"})
    assert declared.status_code == 200, declared.text
    agent = AgentClient(AGENT, live.app.base_url, live.app.ws_url)
    live.clients.append(agent)
    await agent.login()
    await agent.connect()
    session = await _api(live, "POST", "/api/phone/session", agent.token)
    assert session.status_code == 200 and session.json()["username"] == ENDPOINT, session.text
    secret = session.json()["secret"]
    await asyncio.sleep(1.5)  # the provisioned digest reloaded into the PBX (PbxReloadRequested)

    await _gap(live)
    await asyncio.to_thread(_register, secret, 120)
    await asyncio.sleep(1.0)  # its ContactStatus came and went with nobody listening
    assert not (await _line(live.database)).registered and not agent.of("phone.registration")
    await _back(live)
    frame = await agent.wait("phone.registration", within=15)
    assert frame["data"] == {"device": f"PJSIP/{ENDPOINT}", "registered": True, "status": "NonQualified"}
    line = await _line(live.database)
    assert (line.registered, line.registration_status) == (True, "NonQualified")

    await _gap(live)
    await asyncio.to_thread(_register, secret, 0)  # the phone went away while nobody listened
    await asyncio.sleep(1.0)
    await _back(live)
    gone = await agent.wait_for(lambda f: f["type"] == "phone.registration" and not f["data"]["registered"],
                                15, "the phone's removal")
    assert gone["data"] == {"device": f"PJSIP/{ENDPOINT}", "registered": False, "status": "Removed"}
    line = await _line(live.database)
    assert (line.registered, line.registration_status) == (False, "Removed")
