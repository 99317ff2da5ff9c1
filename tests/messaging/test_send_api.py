"""Sending through the API: 202 once committed, the sender sends once, delivery reports settle it,
and the agent's desktop hears every status change (SQLite and PostgreSQL, real fake providers)."""

from __future__ import annotations

import asyncio

from domain.wording import day
from tests.api.conftest import assert_error_shape
from tests.messaging.conftest import World, promise_day


async def _read_frames(world: World, username: str, kind: str, count: int) -> list[dict[str, object]]:
    outbox = world.services.outbox
    assert outbox is not None
    frames: list[dict[str, object]] = []
    async with asyncio.timeout(5):
        while len(frames) < count:
            messages = await outbox.read(f"agent:{username}", 0, timeout=0.5)
            frames = [m.data for m in messages if m.type == kind]
    return frames


async def test_an_sms_is_queued_sent_once_and_delivered(world: World) -> None:
    customer = await world.customer()
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "sms", "body": "Habari Wanjiku, please call us back."})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and body["to"] == "+254712345678" and body["segments"] == 1
    sent = await world.settled(body["id"])
    assert sent.status == "sent" and sent.provider == "africastalking" and sent.cost == "KES 0.8000"
    assert world.at.texts_to("+254712345678") == ["Habari Wanjiku, please call us back."]
    assert world.ib.taken == {}

    report = world.at.at_report(str(sent.provider_message_id), "Success")
    reply = await world.post_form("/webhooks/sms/africastalking/delivery", report)
    assert reply.status_code == 200 and reply.json()["applied"] == 1
    again = await world.post_form("/webhooks/sms/africastalking/delivery", report)
    assert again.status_code == 200 and again.json()["applied"] == 0  # a repeated report changes nothing
    late = await world.post_form("/webhooks/sms/africastalking/delivery", world.at.at_report(
        str(sent.provider_message_id), "Sent"))
    assert late.json()["applied"] == 0
    assert (await world.message(body["id"])).status == "delivered"

    conversation = await world.api("GET", f"/api/customers/{customer['id']}/messages")
    [item] = conversation.json()["items"]
    assert item["status"] == "delivered" and item["provider"] == "africastalking" and item["sent_by"] == "amina"
    assert item["provider_message_id"] == sent.provider_message_id and item["delivered_at"]

    frames = await _read_frames(world, "amina", "message.status", 3)
    assert [f["status"] for f in frames] == ["queued", "sent", "delivered"]
    assert all(f["customer_id"] == customer["id"] for f in frames)


async def test_a_template_is_filled_from_the_record(world: World) -> None:
    customer = await world.customer()
    due = promise_day()
    response = await world.api("POST", f"/api/customers/{customer['id']}/promises", "amina",
                               json={"amount": "1500", "due_date": due.isoformat()})
    assert response.status_code == 201, response.text
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "sms", "template": "promise_confirmation"})
    assert response.status_code == 202, response.text
    text = response.json()["body"]
    assert text.startswith(f"Dear Wanjiku, thank you for your promise to pay KES 1,500 by {day(due)}.")
    assert "Paybill 400200" in text and f"account {customer['id']}" in text
    await world.settled(response.json()["id"])
    assert world.at.texts_to("+254712345678") == [text]


async def test_a_template_variable_without_a_value_is_refused(world: World) -> None:
    customer = await world.customer()
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "sms", "template": "promise_confirmation"})
    body = assert_error_shape(response, 422, "validation-failed")
    assert "promised_amount" in body["message"]


async def test_an_agent_cannot_message_another_agents_customer(world: World) -> None:
    customer = await world.customer(agent="brian")
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages", "amina",
                               json={"channel": "sms", "body": "hello"})
    assert_error_shape(response, 404, "not-found")


async def test_a_note_that_asks_for_an_sms_sends_it_in_the_same_transaction(world: World) -> None:
    customer, due = await world.customer(), promise_day(2)
    note = {"channel": "call", "disposition": {"status": "contacted", "reason": "promise_to_pay",
                                               "resolution": "payment_scheduled"},
            "promised_amount": "2000", "promised_date": due.isoformat(), "comments": "will pay",
            "send_message": True, "message_template": "promise_confirmation"}
    response = await world.api("POST", f"/api/customers/{customer['id']}/interactions", json=note)
    assert response.status_code == 201, response.text
    saved = response.json()
    message = saved["message"]
    assert message["interaction_id"] == saved["id"] and message["status"] == "queued"
    assert f"KES 2,000 by {day(due)}" in message["body"]
    assert (await world.settled(message["id"])).status == "sent"


async def test_bad_bodies_are_422(world: World) -> None:
    customer = await world.customer()
    path = f"/api/customers/{customer['id']}/messages"
    for bad in ({"channel": "fax", "body": "x"}, {"channel": "sms"}, {"channel": "sms", "body": "x", "extra": 1},
                {"channel": "sms", "template": "statement_email"}, {"channel": "sms", "body": "x", "attachment_ids": [1]},
                {"channel": "sms", "template": "no_such_template"}):
        response = await world.api("POST", path, json=bad)
        assert_error_shape(response, 422, "validation-failed")


async def test_the_assigned_agent_and_the_sender_both_hear_the_status(world: World) -> None:
    """The desktops are found with one statement each (the customer's agent, the sender's name)."""
    customer = await world.customer(agent="amina")
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages", "sup",
                               json={"channel": "sms", "body": "From the supervisor"})
    assert response.status_code == 202, response.text
    assert (await world.settled(response.json()["id"])).status == "sent"
    for username in ("amina", "sup"):
        frames = await _read_frames(world, username, "message.status", 2)
        assert [f["status"] for f in frames] == ["queued", "sent"]
        assert all(f["message_id"] == response.json()["id"] for f in frames)
