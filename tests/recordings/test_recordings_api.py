"""Recording every answered call, on SQLite and PostgreSQL, with a fake PBX on the bus: MixMonitor
is asked for when the agent answers, the PBX's file is stored with its SHA-256 when the call ends;
an agent hears their own calls only (404 otherwise), supervisors download, every playback is
audited; the agent pauses and resumes; retention deletes and says so in the audit log."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from config.phone_settings import RecordingSettings
from domain.events import AgentConnected, CallEnded, EndCause, RecordingAction, RecordingControlRequested, utcnow
from recordings.fakes import s3_server
from recordings.storage import build_storage
from store.models import AuditEntry, Recording, RecordingStatus
from tests.phone.world import PhoneWorld
from tests.recordings.wavs import tone_wav


async def recorded_call(w: PhoneWorld, call_id: str, agent: str = "amina", seconds: float = 3.0,
                        customer: str = "Wanjiku Kamau", phone: str = "+254712345678") -> dict[str, Any]:
    """A call ``agent`` answered, recorded by the (fake) PBX, ended and stored; the listing's item."""
    await w.on_call(agent, call_id, customer=customer, phone=phone)
    bus = w.services.bus
    assert bus is not None
    await bus.publish(AgentConnected(call_id=call_id, device=w.users[agent].extension or "", queue="collections",
                                     hold_seconds=1, ring_seconds=1))
    await w.settle(lambda: any(isinstance(c, RecordingControlRequested) and c.call_id == call_id for c in w.commands))
    start = next(c for c in w.commands if isinstance(c, RecordingControlRequested) and c.call_id == call_id)
    assert start.action is RecordingAction.START and start.file is not None
    assert start.file.startswith("/var/spool/x/") and start.device == w.users[agent].extension
    spool = w.settings.recordings.pickup_dir
    assert spool is not None
    spool.mkdir(parents=True, exist_ok=True)
    (spool / Path(start.file).name).write_bytes(tone_wav(seconds))
    await bus.publish(CallEnded(call_id=call_id, cause=EndCause.NORMAL, cause_code=16, talk_seconds=int(seconds)))
    headers = w.as_(agent)
    for _ in range(200):
        items = (await w.client.get(f"/api/recordings?call_id={call_id}", headers=headers)).json()["items"]
        if items and items[0]["status"] == "stored":
            # moved into the storage: the row is committed as stored first, then the PBX's file goes
            await w.settle(lambda: not (spool / Path(start.file).name).exists())
            return dict(items[0])
        await asyncio.sleep(0.05)
    raise AssertionError("the recording was never stored")


async def test_an_answered_call_is_recorded_once_and_stored_with_its_checksum(phone_world: PhoneWorld) -> None:
    w = phone_world
    item = await recorded_call(w, "default/1733.10")
    assert item["sha256"] == hashlib.sha256(tone_wav(3.0)).hexdigest() and item["duration_ms"] == 3000
    assert item["agent"] == "amina" and item["customer_name"] == "Wanjiku Kamau"
    assert w.services.bus is not None
    await w.services.bus.publish(AgentConnected(call_id="default/1733.10", device="PJSIP/2002", queue=None,
                                                hold_seconds=None, ring_seconds=None))  # e.g. after a transfer
    await asyncio.sleep(0.3)  # time for a second START, if one were coming
    starts = [c for c in w.commands if isinstance(c, RecordingControlRequested) and c.action is RecordingAction.START]
    assert len(starts) == 1, "one recording per call"


async def test_a_call_whose_file_never_comes_or_that_the_pbx_refuses_is_marked_failed(phone_world: PhoneWorld) -> None:
    w = phone_world
    bus = w.services.bus
    assert bus is not None
    w.refuse.add("recording")
    await bus.publish(AgentConnected(call_id="default/1733.11", device="PJSIP/2001", queue=None, hold_seconds=None,
                                     ring_seconds=None))
    await bus.publish(CallEnded(call_id="default/1733.11", cause=EndCause.NORMAL, cause_code=16))

    async def status() -> str:
        async with w.services.database.session() as session:
            row = (await session.execute(select(Recording).where(Recording.call_id == "default/1733.11"))
                   ).scalar_one_or_none()
            return "none" if row is None else f"{row.status.value}:{row.failure}"

    for _ in range(400):
        if (await status()).startswith("failed"):
            break
        await asyncio.sleep(0.05)
    assert (await status()).startswith("failed:")


async def test_recording_off_records_nothing(phone_world: PhoneWorld) -> None:
    w = phone_world
    w.settings.recordings.enabled = False
    assert w.services.bus is not None
    await w.services.bus.publish(AgentConnected(call_id="default/1733.12", device="PJSIP/2001", queue=None,
                                                hold_seconds=None, ring_seconds=None))
    await asyncio.sleep(0.3)  # time for a second START, if one were coming
    assert not any(isinstance(c, RecordingControlRequested) for c in w.commands)


async def test_an_agent_hears_their_own_calls_only_and_every_playback_is_audited(phone_world: PhoneWorld) -> None:
    w = phone_world
    item = await recorded_call(w, "default/1733.13")
    rid = item["id"]
    data = tone_wav(3.0)
    assert [i["id"] for i in (await w.client.get(f"/api/recordings?customer_id={item['customer_id']}",
                                                 headers=w.as_("amina"))).json()["items"]] == [rid]
    assert (await w.client.get("/api/recordings", headers=w.as_("brian"))).json()["items"] == []
    assert (await w.client.post(f"/api/recordings/{rid}/play", headers=w.as_("brian"))).status_code == 404

    ticket = (await w.client.post(f"/api/recordings/{rid}/play", headers=w.as_("amina"))).json()
    assert ticket["duration_ms"] == 3000 and ticket["url"].startswith(f"/api/recordings/{rid}/audio?ticket=")
    whole = await w.client.get(ticket["url"], headers=w.as_("amina"))
    assert whole.status_code == 200 and whole.content == data
    part = await w.client.get(ticket["url"], headers={**w.as_("amina"), "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]  # the player seeks
    assert (await w.client.get(ticket["url"], headers=w.as_("brian"))).status_code == 404
    forged = ticket["url"].rsplit("=", 1)[0] + "=9999999999.0123456789abcdef0123456789abcdef"
    assert (await w.client.get(forged, headers=w.as_("amina"))).status_code == 403
    assert (await w.client.get(f"/api/recordings/{rid}/download", headers=w.as_("amina"))).status_code == 403
    download = await w.client.get(f"/api/recordings/{rid}/download", headers=w.as_("sup"))
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-disposition"].startswith("attachment")
    assert [i["id"] for i in (await w.client.get("/api/recordings", headers=w.as_("sup"))).json()["items"]] == [rid]

    async with w.services.database.session() as session:
        audits = (await session.scalars(select(AuditEntry).where(AuditEntry.entity == "recording"))).all()
    seen = sorted((a.action, a.actor_id) for a in audits)
    assert seen == sorted([("recording_play", w.users["amina"].id), ("recording_download", w.users["sup"].id)])
    assert all(a.customer_id == item["customer_id"] and a.entity_id == str(rid) for a in audits)


async def test_the_call_log_carries_each_calls_recordings_by_the_same_rule(phone_world: PhoneWorld) -> None:
    w = phone_world
    mine = await recorded_call(w, "default/1733.17")
    theirs = await recorded_call(w, "default/1733.18", agent="brian", customer="Otieno", phone="+254711000334")

    async def log(user: str) -> dict[str, list[tuple[int, bool]]]:
        answer = await w.client.get("/api/calls", headers=w.as_(user))
        assert answer.status_code == 200, answer.text
        return {c["call_id"]: [(r["id"], r["can_download"]) for r in c["recordings"]] for c in answer.json()["items"]}

    assert await log("amina") == {"default/1733.17": [(mine["id"], False)]}
    assert await log("brian") == {"default/1733.18": [(theirs["id"], False)]}
    assert await log("sup") == {"default/1733.18": [(theirs["id"], True)], "default/1733.17": [(mine["id"], True)]}
    gone = await w.client.get("/api/call-log", headers=w.as_("sup"))  # the one call log is /api/calls
    assert gone.status_code == 404


async def test_the_agent_pauses_and_resumes_the_recording(phone_world: PhoneWorld) -> None:
    w = phone_world
    await w.on_call("amina", "default/1733.14")
    assert w.services.bus is not None
    await w.services.bus.publish(AgentConnected(call_id="default/1733.14", device="PJSIP/2001", queue=None,
                                                hold_seconds=None, ring_seconds=None))
    await w.settle(lambda: any(isinstance(c, RecordingControlRequested) for c in w.commands))
    for paused in (True, False):
        answer = await w.client.post("/api/recordings/pause", json={"call_id": "default/1733.14", "paused": paused},
                                     headers=w.as_("amina"))
        assert answer.status_code == 200, answer.text
    await w.settle(lambda: sum(isinstance(c, RecordingControlRequested) for c in w.commands) == 3)
    actions = [c.action for c in w.commands if isinstance(c, RecordingControlRequested)]
    assert actions == [RecordingAction.START, RecordingAction.PAUSE, RecordingAction.RESUME]
    await asyncio.sleep(0.2)
    log = (await w.client.get("/api/calls", headers=w.as_("amina"))).json()["items"][0]["actions"]
    assert [(a["action"], a["outcome"]) for a in log] == [("recording_pause", "done"), ("recording_resume", "done")]
    assert (await w.client.post("/api/recordings/pause", json={"call_id": "default/1733.14", "paused": True},
                                headers=w.as_("brian"))).status_code == 404


async def test_retention_deletes_expired_recordings_and_audits_it(phone_world: PhoneWorld) -> None:
    w = phone_world
    old = await recorded_call(w, "default/1733.15")
    fresh = await recorded_call(w, "default/1733.16", agent="brian", customer="Otieno", phone="+254711000333")
    async with w.services.database.session() as session:
        row = await session.get(Recording, old["id"])
        assert row is not None and row.storage_key is not None
        row.started_at = utcnow() - timedelta(days=181)
        key = row.storage_key
    store = w.settings.recordings.local_dir / key
    assert store.exists()
    answer = await w.client.post("/api/recordings/retention", headers=w.as_("admin"))
    assert answer.status_code == 200 and answer.json() == {"deleted": 1}
    assert not store.exists()
    async with w.services.database.session() as session:
        gone = await session.get(Recording, old["id"])
        kept = await session.get(Recording, fresh["id"])
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "recording_deleted"))).one()
    assert gone is not None and gone.status is RecordingStatus.DELETED and gone.deleted_at is not None
    assert kept is not None and kept.status is RecordingStatus.STORED
    assert audit.actor_id is None and audit.entity_id == str(old["id"]) and audit.customer_id == old["customer_id"]
    assert audit.details["reason"] == "retention" and audit.details["retention_days"] == 180
    assert (await w.client.post(f"/api/recordings/{old['id']}/play", headers=w.as_("sup"))).status_code == 404
    assert (await w.client.post("/api/recordings/retention", headers=w.as_("sup"))).status_code == 403


async def test_recordings_in_s3_compatible_storage_play_with_ranges(phone_world: PhoneWorld) -> None:
    w = phone_world
    with s3_server("sb-calls") as url:
        w.recordings.service.storage = build_storage(RecordingSettings(
            storage="s3", s3_bucket="sb-calls", s3_endpoint_url=url, s3_access_key_id="t",
            s3_secret_access_key=SecretStr("t")))
        item = await recorded_call(w, "default/1733.17", seconds=2.0)
        data = tone_wav(2.0)
        ticket = (await w.client.post(f"/api/recordings/{item['id']}/play", headers=w.as_("amina"))).json()
        part = await w.client.get(ticket["url"], headers={**w.as_("amina"), "Range": "bytes=44-1043"})
        assert part.status_code == 206 and part.content == data[44:1044]
        assert part.headers["content-range"] == f"bytes 44-1043/{len(data)}"
        whole = await w.client.get(ticket["url"], headers=w.as_("amina"))
        assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == item["sha256"]
