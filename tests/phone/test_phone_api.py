"""The browser phone's API on SQLite and PostgreSQL: the admin declares phones (provisioned or
removed), each sign-in rotates the SIP secret (only its digest reaches the PBX), the ready gate
follows the PBX's view of the registration, transfers become PBX commands (a number through the
compliance gate), and every control lands in the call log."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from domain.errors import Conflict
from domain.events import CallTransferRequested, PbxReloadRequested, PhoneRegistrationChanged, TransferKind
from phone.credentials import NO_SESSION_DIGEST, password_digest
from tests.phone.world import PhoneWorld

MONDAY_10_NAIROBI = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
SUNDAY_10_NAIROBI = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)


def digest_of(include: str, endpoint: str) -> str:
    found = re.search(rf"\[{endpoint}\]\(switchboard-webrtc-auth\)\nusername = {endpoint}\npassword_digest = (\S+)",
                      include)
    assert found, f"{endpoint} is not provisioned:\n{include}"
    return found.group(1)


async def declare(world: PhoneWorld, username: str, kind: str = "webrtc") -> dict[str, object]:
    answer = await world.client.put(f"/api/users/{username}/phone", json={"kind": kind}, headers=world.as_("admin"))
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_declaring_and_disabling_provision_and_remove_the_endpoint(phone_world: PhoneWorld) -> None:
    w = phone_world
    assert (await declare(w, "amina"))["kind"] == "webrtc"
    assert digest_of(w.include, "2001") == NO_SESSION_DIGEST  # provisioned, but no session yet
    await w.settle(lambda: any(isinstance(c, PbxReloadRequested) for c in w.commands))
    assert "res_pjsip.so" in next(c for c in w.commands if isinstance(c, PbxReloadRequested)).modules
    lines = (await w.client.get("/api/phone/lines", headers=w.as_("admin"))).json()["items"]
    assert lines["amina"]["kind"] == "webrtc" and lines["brian"]["kind"] == "desk"

    off = await w.client.patch("/api/users/amina", json={"active": False}, headers=w.as_("admin"))
    assert off.status_code == 200
    await w.settle(lambda: "[2001]" not in w.include)
    assert (await declare(w, "brian"))["kind"] == "webrtc"
    assert "[2002](switchboard-webrtc)" in w.include and "[2001]" not in w.include
    await declare(w, "brian", "desk")
    assert "[2002]" not in w.include
    refused = await w.client.put("/api/users/admin/phone", json={"kind": "webrtc"}, headers=w.as_("admin"))
    assert refused.status_code == 422  # no extension
    assert (await w.client.put("/api/users/amina/phone", json={"kind": "webrtc"},
                               headers=w.as_("sup"))).status_code == 403
    forced = await w.client.post("/api/phone/provision", json={"reload": True}, headers=w.as_("admin"))
    assert forced.status_code == 200, forced.text
    assert forced.json()["reload_request"] is not None  # a reload, though no file changed
    w.settings.phone.pjsip_include = None  # provisioning off: the admin is told, not a 500
    off = await w.client.post("/api/phone/provision", json={}, headers=w.as_("admin"))
    assert off.status_code == 409 and "SWITCHBOARD_PHONE__PJSIP_INCLUDE" in off.json()["message"]


async def test_each_session_rotates_the_secret_and_sign_out_ends_it(phone_world: PhoneWorld) -> None:
    w = phone_world
    await declare(w, "amina")
    first = (await w.client.post("/api/phone/session", headers=w.as_("amina"))).json()
    assert first["kind"] == "sip" and first["username"] == "2001" and first["ws_url"].startswith("ws://")
    assert first["sip_uri"] == "sip:2001@127.0.0.1" and len(first["secret"]) >= 32
    assert digest_of(w.include, "2001") == password_digest("2001", "switchboard", first["secret"])
    assert first["secret"] not in w.include
    second = (await w.client.post("/api/phone/session", headers=w.as_("amina"))).json()
    assert second["secret"] != first["secret"]
    assert digest_of(w.include, "2001") == password_digest("2001", "switchboard", second["secret"])
    assert (await w.client.delete("/api/phone/session", headers=w.as_("amina"))).status_code == 200
    assert digest_of(w.include, "2001") == NO_SESSION_DIGEST
    assert (await w.client.post("/api/phone/session", headers=w.as_("desk"))).json() == {
        "kind": "desk", "device": "PJSIP/1001"}
    assert (await w.client.post("/api/phone/session", headers=w.as_("sup"))).json() == {"kind": "none"}
    assert (await w.client.post("/api/phone/session")).status_code == 401


async def test_a_twilio_agent_gets_an_access_token(phone_world: PhoneWorld) -> None:
    w = phone_world
    await declare(w, "tw")
    token = (await w.client.post("/api/phone/session", headers=w.as_("tw"))).json()
    assert token["kind"] == "twilio" and token["identity"] == "tw" and token["ttl_seconds"] == 3600
    assert "[tw]" not in w.include  # Twilio agents are not PBX endpoints


async def test_ready_needs_a_registered_browser_phone_or_a_desk_phone(phone_world: PhoneWorld) -> None:
    w = phone_world
    await declare(w, "amina")
    service = w.phone.service
    await service.check_ready(w.users["desk"])  # no declared phone: a desk phone, as before
    with pytest.raises(Conflict, match="not registered"):
        await service.check_ready(w.users["amina"])
    assert w.services.bus is not None
    await w.services.bus.publish(PhoneRegistrationChanged(device="PJSIP/2001", registered=True, status="Created"))
    await w.settle(lambda: any(f[1] == "phone.registration" for f in w.frames))
    await service.check_ready(w.users["amina"])
    assert ("agent:amina", "phone.registration", {"device": "PJSIP/2001", "registered": True,
                                                  "status": "Created"}) in w.frames
    me = (await w.client.get("/api/phone", headers=w.as_("amina"))).json()
    assert me["registered"] and me["kind"] == "webrtc"
    await w.services.bus.publish(PhoneRegistrationChanged(device="PJSIP/2001", registered=False, status="Removed"))
    await w.settle(lambda: sum(f[1] == "phone.registration" for f in w.frames) == 2)
    with pytest.raises(Conflict):  # the phone went away
        await service.check_ready(w.users["amina"])


async def test_transfers_become_pbx_commands_and_their_results_reach_the_desk(phone_world: PhoneWorld) -> None:
    w = phone_world
    await w.on_call("amina", "default/1733.1")
    for body, context, exten in (
        ({"target_type": "queue", "target": "customer_service"}, "switchboard-xfer-queue", "customer_service"),
        ({"target_type": "agent", "target": "brian", "warm": True}, "switchboard-xfer-agent", "2002"),
    ):
        answer = await w.client.post("/api/phone/transfer", json={"call_id": "default/1733.1", **body},
                                     headers=w.as_("amina"))
        assert answer.status_code == 202, answer.text
        await w.settle(lambda ctx=context: any(isinstance(c, CallTransferRequested) and c.context == ctx
                                               for c in w.commands))
        sent = next(c for c in w.commands if isinstance(c, CallTransferRequested) and c.context == context)
        assert (sent.exten, sent.device, sent.call_id) == (exten, "PJSIP/2001", "default/1733.1")
        assert sent.kind is (TransferKind.ATTENDED if body.get("warm") else TransferKind.BLIND)
    w.refuse.add("transfer")
    back = await w.client.post("/api/phone/transfer/cancel", json={"call_id": "default/1733.1"}, headers=w.as_("amina"))
    assert back.status_code == 202
    await w.settle(lambda: any(f[1] == "phone.control" and f[2]["action"] == "transfer_return" for f in w.frames))
    control = next(f for f in w.frames if f[1] == "phone.control" and f[2]["action"] == "transfer_return")
    assert control[0] == "agent:amina" and control[2]["ok"] is False
    held = await w.client.post("/api/phone/actions", json={"call_id": "default/1733.1", "action": "hold"},
                               headers=w.as_("amina"))
    assert held.status_code == 200
    log = (await w.client.get("/api/calls", headers=w.as_("amina"))).json()["items"]
    actions = [(a["action"], a["outcome"]) for a in log[0]["actions"]]
    assert actions == [("transfer_blind", "done"), ("transfer_warm", "done"), ("transfer_return", "failed"),
                       ("hold", "done")]
    assert (await w.client.get("/api/calls", headers=w.as_("brian"))).json()["items"] == []


async def test_only_the_agent_on_the_call_controls_it(phone_world: PhoneWorld) -> None:
    w = phone_world
    await w.on_call("amina", "default/1733.2")
    for who, call in (("brian", "default/1733.2"), ("amina", "default/other")):
        answer = await w.client.post("/api/phone/transfer", json={"call_id": call, "target_type": "queue",
                                                                  "target": "collections"}, headers=w.as_(who))
        assert answer.status_code == 404
    for bad in ({"target_type": "queue", "target": "nowhere"}, {"target_type": "agent", "target": "amina"},
                {"target_type": "agent", "target": "ghost"}, {"target_type": "number", "target": "12"},
                {"target_type": "fax", "target": "1"}):
        answer = await w.client.post("/api/phone/transfer", json={"call_id": "default/1733.2", **bad},
                                     headers=w.as_("amina"))
        assert answer.status_code == 422, (bad, answer.text)
    assert not any(isinstance(c, CallTransferRequested) for c in w.commands)


async def test_a_number_passes_the_compliance_gate(phone_world: PhoneWorld) -> None:
    w = phone_world
    await w.on_call("amina", "default/1733.3", customer="Otieno Juma", phone="+254711000222")
    w.phone.controls.clock = lambda: SUNDAY_10_NAIROBI
    blocked = await w.client.post("/api/phone/transfer", json={"call_id": "default/1733.3", "target_type": "number",
                                                               "target": "0711000222"}, headers=w.as_("amina"))
    assert blocked.status_code == 409 and blocked.json()["error_id"] == "compliance-blocked"
    assert blocked.json()["details"]["rule"] == "calling_window"
    w.phone.controls.clock = lambda: MONDAY_10_NAIROBI
    ok = await w.client.post("/api/phone/transfer", json={"call_id": "default/1733.3", "target_type": "number",
                                                          "target": "0711000222"}, headers=w.as_("amina"))
    assert ok.status_code == 202, ok.text
    await w.settle(lambda: any(isinstance(c, CallTransferRequested) for c in w.commands))
    sent = next(c for c in w.commands if isinstance(c, CallTransferRequested))
    assert (sent.context, sent.exten) == ("switchboard-xfer-number", "0711000222")
