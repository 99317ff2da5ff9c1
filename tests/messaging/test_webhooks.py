"""Provider webhooks: the token (constant time; missing or wrong is 403), bad bodies (400), unknown
ids (200, logged), Infobip reports, inbound SMS joining the conversation, STOP and ACHA."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error_shape
from tests.messaging.conftest import World

HOOKS = ["/webhooks/sms/africastalking/delivery", "/webhooks/sms/infobip/delivery",
         "/webhooks/sms/africastalking/inbound"]


async def test_a_missing_or_wrong_token_is_403(world: World) -> None:
    for path in HOOKS:
        for token in (None, "", "hook-token-12", "hook-token-1234", "x" * 500):
            response = await world.post_form(path, {"id": "x", "status": "Success"}, token=token)
            assert_error_shape(response, 403, "signature-invalid")


async def test_malformed_bodies_are_400(world: World) -> None:
    for path, form in ((HOOKS[0], {}), (HOOKS[0], {"id": "a"}), (HOOKS[0], {"id": "a", "status": "Eaten"}),
                       (HOOKS[2], {"text": "hi"}), (HOOKS[2], {"from": "+254712345678"})):
        assert_error_shape(await world.post_form(path, form), 400, "protocol-violation")
    for body in (b"not json", b"{}", b'{"results": [{"to": "1"}]}', b'{"results": 3}',
                 b'{"results": [{"messageId": "1", "status": {"groupName": "WHAT"}}]}'):
        response = await world.client.post("/webhooks/sms/infobip/delivery?token=hook-token-123", content=body)
        assert_error_shape(response, 400, "protocol-violation")


async def test_a_report_for_an_unknown_id_is_200(world: World) -> None:
    reply = await world.post_form(HOOKS[0], {"id": "ATXid_nobody", "status": "Success", "phoneNumber": "+254700000001"})
    assert reply.status_code == 200 and reply.json()["applied"] == 0
    reply = await world.client.post(f"{HOOKS[1]}?token=hook-token-123", json={"results": [
        {"messageId": "nobody", "to": "254700000001", "status": {"groupName": "DELIVERED"}}]})
    assert reply.status_code == 200 and reply.json()["applied"] == 0


async def test_an_infobip_failure_report_marks_the_message_failed_with_its_reason(world: World) -> None:
    customer = await world.customer()
    await world.at.stop()
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "sms", "body": "via infobip"})
    sent = await world.settled(response.json()["id"])
    assert sent.provider == "infobip"
    report = world.ib.infobip_report(str(sent.provider_message_id), "UNDELIVERABLE")
    reply = await world.client.post(f"{HOOKS[1]}?token=hook-token-123", json=report)
    assert reply.json() == {"ok": True, "applied": 1, "received": 1}
    failed = await world.message(sent.id)
    assert failed.status == "failed" and failed.reason == "infobip: Absent Subscriber" and failed.cost == "KES 1.0"
    reply = await world.client.post(f"{HOOKS[1]}?token=hook-token-123",
                                    json=world.ib.infobip_report(str(sent.provider_message_id), "DELIVERED"))
    assert reply.json()["applied"] == 0 and (await world.message(sent.id)).status == "failed"


async def test_an_inbound_sms_joins_the_conversation_and_notifies_the_agent(world: World) -> None:
    customer = await world.customer()
    form = {"from": "+254712345678", "to": "40404", "text": "Nitalipa kesho", "date": "2026-12-07 10:01:02",
            "id": "in-1"}
    reply = await world.post_form(HOOKS[2], form)
    assert reply.status_code == 200 and reply.json()["opted_out"] is False
    again = await world.post_form(HOOKS[2], form)
    assert again.json()["repeated"] is True  # the provider retried: stored once
    items = (await world.api("GET", f"/api/customers/{customer['id']}/messages")).json()["items"]
    assert [(i["direction"], i["status"], i["body"], i["from"]) for i in items] == [
        ("inbound", "received", "Nitalipa kesho", "+254712345678")]
    outbox = world.services.outbox
    assert outbox is not None
    frames = [m for m in await outbox.read("agent:amina", 0, timeout=1.0) if m.type == "message.inbound"]
    assert frames and frames[0].data["text"] == "Nitalipa kesho" and frames[0].data["customer_id"] == customer["id"]


async def test_an_sms_from_a_stranger_is_kept(world: World) -> None:
    reply = await world.post_form(HOOKS[2], {"from": "+254799999999", "to": "40404", "text": "who is this",
                                             "id": "in-2"})
    assert reply.status_code == 200 and reply.json()["opted_out"] is False


@pytest.mark.parametrize("word", ["STOP", "Acha please"])
async def test_stop_and_acha_revoke_sms_consent_and_the_reply_says_so(world: World, word: str) -> None:
    customer = await world.customer()
    queued = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                             json={"channel": "sms", "body": "before the stop"})
    await world.settled(queued.json()["id"])
    reply = await world.post_form(HOOKS[2], {"from": "0712345678", "to": "40404", "text": word, "id": f"in-{word}"})
    assert reply.json()["opted_out"] is True
    items = (await world.api("GET", f"/api/customers/{customer['id']}/messages")).json()["items"]
    confirmation = next(i for i in items if i["direction"] == "outbound" and "no more SMS" in i["body"])
    sent = await world.settled(confirmation["id"])
    assert sent.status == "sent" and world.at.texts_to("+254712345678")[-1].startswith(
        "Jua Power: you will get no more SMS from us.")
    after = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                            json={"channel": "sms", "body": "after the stop"})
    body = assert_error_shape(after, 409, "compliance-blocked")
    assert body["details"]["rule"] == "consent_revoked"
