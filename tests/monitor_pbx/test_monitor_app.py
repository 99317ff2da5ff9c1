"""Live monitoring end to end (issue 22): the whole app on the test PBX, through the API.

A sipp customer (440 Hz) calls the collections queue; agent1's sipp phone (1000 Hz) answers and the
app pops and connects the call. The supervisor (their extension PJSIP/1004, a sipp phone playing
1800 Hz) asks ``POST /api/monitor`` to listen: their phone rings through the app's AMI bridge and
hears both sides, while neither hears the supervisor; agent1's desk is told "A supervisor is
listening"; the monitoring leg makes no call of its own (no call record, no pop, the supervisor's
state untouched). When the supervisor's leg hangs up, the session ends in the audit and the agent's
notice goes, while the call goes on.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import func, select, update

from store.models import AgentPresence, CallRecord, MonitorSession, User
from tests.cti_pbx.conftest import Live
from tests.cti_pbx.support import AMINA_PHONE, until
from tests.monitor_pbx.rig import AGENT_HZ, CUSTOMER_HZ, SUPERVISOR_HZ, ToneParty, asterisk_port, uas
from tests.pbx.harness import DID_DIRECT, SippPhone

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SUPERVISOR_EXT = 1004


@SQLITE_ONLY
async def test_a_supervisor_listens_through_the_api(live: Live) -> None:
    async with live.database.session() as session:
        await session.execute(update(User).where(User.username == "supervisor").values(
            extension=f"PJSIP/{SUPERVISOR_EXT}"))
    customer, agent, sup = (await ToneParty(CUSTOMER_HZ).start(), await ToneParty(AGENT_HZ).start(),
                            await ToneParty(SUPERVISOR_HZ).start())
    phones: list[SippPhone] = []
    try:
        phones.append(uas(1001, agent).start())
        agent1 = await live.agent("agent1")
        caller = SippPhone("uac_rtp_peer", local_port=5070, remote="127.0.0.1:5060", service=DID_DIRECT,
                           keys={"caller": AMINA_PHONE, "rtp_port": str(customer.port)}, calls=1, timeout_s=120,
                           name="customer").start()
        phones.append(caller)
        agent.send_to(await asterisk_port(phones[0], agent.port))
        customer.send_to(await asterisk_port(caller, customer.port))
        call_id = (await agent1.wait("call.answered", within=20))["data"]["call_id"]
        sup_phone = uas(SUPERVISOR_EXT, sup).start()
        phones.append(sup_phone)

        async with httpx.AsyncClient(base_url=live.app.base_url, timeout=10) as client:
            login = await client.post("/api/auth/login", json={"username": "supervisor",
                                                               "password": "supervisor-pass"})
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            refused = await client.post("/api/monitor", json={"call_id": call_id},
                                        headers={"Authorization": f"Bearer {agent1.token}"})
            assert refused.status_code == 403
            r = await client.post("/api/monitor", json={"call_id": call_id, "mode": "listen"}, headers=headers)
            assert r.status_code == 202, r.text
            session_id = r.json()["id"]
            sup.send_to(await asterisk_port(sup_phone, sup.port))
            await asyncio.sleep(1.0)
            t0 = time.time()
            await asyncio.sleep(2.0)
            t1 = time.time()
            assert len(sup.since(t0, t1)) >= 50, "no audio reached the supervisor"
            assert sup.power(CUSTOMER_HZ, t0, t1) >= 20 and sup.power(AGENT_HZ, t0, t1) >= 20
            assert agent.power(SUPERVISOR_HZ, t0, t1) <= 2 and customer.power(SUPERVISOR_HZ, t0, t1) <= 2
            notice = await agent1.wait("monitor.notice", call_id, within=5)
            assert notice["data"]["active"] is True and notice["data"]["text"] == "A supervisor is listening to this call."

            async def live_row() -> bool:
                async with live.database.session() as s:
                    row = await s.get(MonitorSession, session_id)
                    return row is not None and row.status == "live"

            await until(live_row, 10, "the session to be live")

            async def ended() -> MonitorSession | None:
                async with live.database.session() as s:
                    row = await s.get(MonitorSession, session_id)
                    return row if row is not None and row.status == "ended" else None

            # the supervisor's leg hangs up (as when they put the phone down): the session ends, the call goes on
            spy = next(line.split("!")[0] for line in live.pbx.cli("core show channels concise").splitlines()
                       if line.startswith(f"PJSIP/{SUPERVISOR_EXT}-"))
            live.pbx.cli(f"channel request hangup {spy}")
            row = await until(ended, 15, "the session to end with the supervisor's leg")
            assert row.ended_at is not None and row.ended_at >= row.started_at and row.mode == "listen"
            assert not agent1.of("call.ended", call_id)
            live.pbx.cli("channel request hangup all")
            await agent1.wait("call.ended", call_id, within=15)
            await agent1.wait_for(lambda f: f["type"] == "monitor.notice" and f["data"]["active"] is False, 5,
                                  "the notice to go")
            audit = await client.get(f"/api/monitor?call_id={call_id}", headers=headers)
            assert [(i["supervisor"], i["agent"], i["mode"], i["status"]) for i in audit.json()["items"]] == [
                ("supervisor", "agent1", "listen", "ended")]
        async with live.database.session() as s:  # the monitoring leg was no call of its own
            assert await s.scalar(select(func.count()).select_from(CallRecord)) == 1
            sup_id = await s.scalar(select(User.id).where(User.username == "supervisor"))
            presence = await s.get(AgentPresence, sup_id)
            assert presence is None or presence.state not in ("ringing", "on_call")
        assert [f for f in agent1.frames if f["type"] == "call.ringing" and f["data"]["call_id"] != call_id] == []
    finally:
        for phone in phones:
            phone.cleanup()
        for party in (customer, agent, sup):
            party.close()
