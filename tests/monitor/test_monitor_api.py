"""Live monitoring's API (issue 22) on SQLite and PostgreSQL, with a fake carrier on the bus.

Listen / whisper / barge become ``MonitorRequested`` for the call's carrier, with the agent's and
the supervisor's devices; each session is audited (who, which call, which mode, from when to when);
a new mode replaces the session (the old leg is hung up); the agent's desk is told while a
supervisor is on the call when the policy says so (the Kenya pack requires it, whatever the setting);
the carrier's answer reaches the supervisors' stream; only supervisors and admins may monitor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.phone_settings import MonitorSettings
from config.settings import Settings
from domain.events import CallEnded, EndCause, MonitorLegEnded, MonitorMode
from store.models import AuditEntry, CallRecord, MonitorSession
from tests.monitor.world import MonitorWorld, eventually, monitor_world

CALL = "default/1765000000.1"


async def _rows(w: MonitorWorld) -> list[MonitorSession]:
    async with w.services.database.session() as session:
        return list((await session.execute(select(MonitorSession).order_by(MonitorSession.id))).scalars())


async def test_listen_then_whisper_then_stop_is_audited_and_told_to_the_agent(world: MonitorWorld) -> None:
    w = world
    await w.on_call("amina", CALL)
    r = await w.client.post("/api/monitor", json={"call_id": CALL, "mode": "listen"}, headers=w.as_("sup"))
    assert r.status_code == 202, r.text
    listen = r.json()
    assert (listen["mode"], listen["status"], listen["supervisor"], listen["agent"]) == ("listen", "requested",
                                                                                        "sup", "amina")
    await eventually(lambda: len(w.requests) == 1)
    [request] = w.requests
    assert (request.call_id, request.agent_device, request.supervisor_device, request.mode, request.context) == (
        CALL, "PJSIP/2001", "PJSIP/2009", MonitorMode.LISTEN, "switchboard-monitor")
    assert request.caller_id == "Listen: Amina" and request.carrier == "asterisk"
    await eventually(lambda: any(s["status"] == "live" for s in w.statuses()))
    assert w.statuses()[-1]["message"] == "Your phone is ringing: answer it to join the call."
    assert w.notices("amina") == [{"call_id": CALL, "active": True, "mode": "listen",
                                   "text": "A supervisor is listening to this call."}]

    r = await w.client.post("/api/monitor", json={"call_id": CALL, "mode": "whisper"}, headers=w.as_("sup"))
    assert r.status_code == 202, r.text
    whisper = r.json()
    await eventually(lambda: len(w.requests) == 2)
    assert [s.request_id for s in w.stops] == [listen["request_id"]]  # the listening leg is hung up first
    assert w.requests[1].mode is MonitorMode.WHISPER

    r = await w.client.post(f"/api/monitor/{whisper['id']}/stop", headers=w.as_("sup"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ended" and r.json()["ended_at"] is not None
    assert [s.request_id for s in w.stops] == [listen["request_id"], whisper["request_id"]]
    assert [(n["active"], n["mode"]) for n in w.notices("amina")] == [
        (True, "listen"), (False, "listen"), (True, "whisper"), (False, "whisper")]

    rows = await _rows(w)
    assert [(row.mode, row.status, row.supervisor_id, row.agent_id) for row in rows] == [
        ("listen", "ended", w.users["sup"].id, w.users["amina"].id),
        ("whisper", "ended", w.users["sup"].id, w.users["amina"].id)]
    assert all(row.ended_at is not None and row.ended_at >= row.started_at for row in rows)
    audit = await w.client.get(f"/api/monitor?call_id={CALL}", headers=w.as_("sup"))
    assert audit.status_code == 200, audit.text
    assert [(i["mode"], i["supervisor"], i["agent"], i["status"]) for i in audit.json()["items"]] == [
        ("whisper", "sup", "amina", "ended"), ("listen", "sup", "amina", "ended")]
    async with w.services.database.session() as session:
        logged = (await session.execute(select(AuditEntry).where(AuditEntry.action == "monitor"))).scalars().all()
    assert [(e.entity_id, e.details["mode"]) for e in logged] == [(CALL, "listen"), (CALL, "whisper")]


async def test_the_call_ending_ends_the_session_and_a_refusal_is_reported(world: MonitorWorld) -> None:
    w = world
    await w.on_call("amina", CALL)
    r = await w.client.post("/api/monitor", json={"call_id": CALL, "mode": "barge"}, headers=w.as_("admin"))
    assert r.status_code == 202, r.text
    await eventually(lambda: any(s["status"] == "live" for s in w.statuses()))
    await w.services.bus.publish(CallEnded(call_id=CALL, cause=EndCause.NORMAL, cause_code=16))  # type: ignore[union-attr]

    for _ in range(250):
        if [row.status for row in await _rows(w)] == ["ended"]:
            break
        await asyncio.sleep(0.02)
    assert [row.status for row in await _rows(w)] == ["ended"]
    assert w.stops == []  # ChanSpy's E option ends the leg with the call: nothing to hang up
    assert w.notices("amina")[-1]["active"] is False

    await w.on_call("brian", "default/1765000000.2", phone="+254722000111")
    w.refuse.add("monitor")
    r = await w.client.post("/api/monitor", json={"call_id": "default/1765000000.2"}, headers=w.as_("sup"))
    assert r.status_code == 202 and r.json()["mode"] == "listen"
    await eventually(lambda: any(s["status"] == "failed" for s in w.statuses()))
    failed = next(s for s in w.statuses() if s["status"] == "failed")
    assert failed["message"] == "Could not join the call: Originate refused: no such device."
    row = (await _rows(w))[-1]
    assert (row.status, row.failure) == ("failed", "Originate refused: no such device")
    assert [n["active"] for n in w.notices("brian")] == [True, False]


async def test_who_may_monitor_what(world: MonitorWorld) -> None:
    w = world
    await w.on_call("amina", CALL)
    r = await w.client.post("/api/monitor", json={"call_id": CALL}, headers=w.as_("brian"))
    assert r.status_code == 403 and r.json()["error_id"] == "permission-denied"
    assert (await w.client.get("/api/monitor", headers=w.as_("amina"))).status_code == 403
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("sup", {"call_id": "default/404.4"}, 404, "no such call"),
        ("nophone", {"call_id": CALL}, 409, "you have no phone to listen on: an administrator sets your extension"),
        ("sup", {"call_id": CALL, "mode": "shout"}, 422, ""),
        ("sup", {"call_id": CALL, "extra": 1}, 422, ""),
        ("sup", {"call_id": ""}, 422, ""),
    ]
    for who, body, status, message in cases:
        r = await w.client.post("/api/monitor", json=body, headers=w.as_(who))
        assert r.status_code == status, (body, r.text)
        if message:
            assert r.json()["message"] == message
    async with w.services.database.session() as session:  # the call ended
        record = (await session.execute(select(CallRecord).where(CallRecord.call_id == CALL))).scalar_one()
        record.ended_at = datetime.now(UTC)
    r = await w.client.post("/api/monitor", json={"call_id": CALL}, headers=w.as_("sup"))
    assert r.status_code == 409 and r.json()["message"] == "this call has ended"
    assert (await w.client.post("/api/monitor/99999/stop", headers=w.as_("sup"))).status_code == 404
    assert (await w.client.post("/api/monitor/0/stop", headers=w.as_("sup"))).status_code == 422
    assert (await w.client.get("/api/monitor?from=2026-12-06&to=2026-12-01", headers=w.as_("sup"))).status_code == 422
    assert w.requests == [] and await _rows(w) == []


def _policy(pack: str, notify: bool) -> Any:
    def tune(settings: Settings) -> Settings:
        return settings.model_copy(update={"compliance_pack": pack, "monitor": MonitorSettings(notify_agent=notify)})
    return tune


@pytest.mark.parametrize(("pack", "notify", "told"), [("kenya", False, True), ("us_reg_f", False, False),
                                                       ("us_reg_f", True, True)])
async def test_the_agent_is_told_when_the_policy_says_so(database: Any, database_url: str, tmp_path: Path,
                                                         pack: str, notify: bool, told: bool) -> None:
    gen: AsyncIterator[MonitorWorld] = monitor_world(database_url, tmp_path, _policy(pack, notify))
    w = await gen.__anext__()
    try:
        await w.on_call("amina", CALL)
        r = await w.client.post("/api/monitor", json={"call_id": CALL}, headers=w.as_("sup"))
        assert r.status_code == 202 and r.json()["agent_notified"] is told
        await eventually(lambda: len(w.requests) == 1)
        assert bool(w.notices("amina")) is told
    finally:
        await gen.aclose()


async def test_the_supervisor_hanging_up_ends_the_session(world: MonitorWorld) -> None:
    w = world
    await w.on_call("amina", CALL)
    r = await w.client.post("/api/monitor", json={"call_id": CALL, "mode": "whisper"}, headers=w.as_("sup"))
    assert r.status_code == 202, r.text
    await eventually(lambda: any(s["status"] == "live" for s in w.statuses()))
    await w.services.bus.publish(MonitorLegEnded(request_id=r.json()["request_id"]))  # type: ignore[union-attr]
    for _ in range(250):
        if [row.status for row in await _rows(w)] == ["ended"]:
            break
        await asyncio.sleep(0.02)
    [row] = await _rows(w)
    assert row.status == "ended" and row.ended_at is not None and w.stops == []
    assert [n["active"] for n in w.notices("amina")] == [True, False]
    again = await w.client.post(f"/api/monitor/{row.id}/stop", headers=w.as_("sup"))
    assert again.status_code == 200 and again.json()["status"] == "ended" and w.stops == []
