"""Every message passes the gate: blocked messages are stored ``blocked`` with their rule and
answered 409; SMS off says so; the preview shows the text, its parts and the gate's answer; an
unknown template variable is refused when the templates are saved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import assert_error_shape
from tests.messaging.conftest import MONDAY_10_NAIROBI, World


async def _send(world: World, customer_id: int, **body: Any) -> Any:
    return await world.api("POST", f"/api/customers/{customer_id}/messages", json={"channel": "sms", **body})


async def test_on_sunday_the_message_is_blocked_and_stored(world: World) -> None:
    customer = await world.customer()
    world.clock.set(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))  # today: a Sunday, noon in Nairobi
    response = await _send(world, customer["id"], body="Sunday reminder")
    body = assert_error_shape(response, 409, "compliance-blocked")
    assert body["details"]["rule"] == "message_hours"
    assert body["details"]["next_allowed_at"] == "2026-12-07T05:00:00+00:00"
    stored = await world.message(body["details"]["message_id"])
    assert stored.status == "blocked" and stored.rule == "message_hours"
    world.clock.set(MONDAY_10_NAIROBI)
    assert world.at.taken == {}


async def test_kenya_blocks_a_debt_reminder_to_a_guarantor(world: World) -> None:
    customer = await world.customer(contacts=[{"relation": "guarantor", "name": "Peter Otieno",
                                               "phone": "0722000111"}])
    record = (await world.api("GET", f"/api/customers/{customer['id']}")).json()
    guarantor = record["contacts"][0]["id"]
    response = await _send(world, customer["id"], contact_id=guarantor, template="overdue_notice")
    assert_error_shape(response, 409, "compliance-blocked")
    assert response.json()["details"]["rule"] == "third_party_debt"
    response = await _send(world, customer["id"], contact_id=guarantor, body="Please ask Wanjiku to call us.")
    assert response.json()["details"]["rule"] == "third_party_debt"  # free text cannot be checked
    response = await _send(world, customer["id"], contact_id=guarantor, template="lead_welcome")
    assert response.status_code == 202 and response.json()["to"] == "+254722000111"


async def test_do_not_contact_blocks_sms_and_email(world: World) -> None:
    customer = await world.customer(email="wanjiku@example.com")
    patched = await world.api("PATCH", f"/api/customers/{customer['id']}", "sup", json={"do_not_call": True})
    assert patched.status_code == 200, patched.text
    for channel, extra in (("sms", {}), ("email", {"subject": "Hello"})):
        response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                                   json={"channel": channel, "body": "x", **extra})
        assert response.json()["details"]["rule"] == "do_not_call"


async def test_preview_counts_parts_and_fills_the_template(world: World) -> None:
    customer = await world.customer()
    response = await world.api("POST", "/api/messages/preview", json={"body": "a" * 161})
    assert response.json() == {"text": "a" * 161, "encoding": "GSM-7", "characters": 161, "segments": 2,
                               "per_segment": 153, "warning": "2 SMS: charged twice", "channel": "sms",
                               "subject": None, "blocked": None}
    response = await world.api("POST", "/api/messages/preview",
                               json={"template": "lead_welcome", "customer_id": customer["id"]})
    preview = response.json()
    assert preview["text"].startswith("Hello Wanjiku, thank you for your interest in Jua Power solar.")
    assert preview["segments"] == 1 and preview["warning"] is None
    response = await world.api("POST", "/api/messages/preview", json={"body": "Habari 😀" * 10})
    assert response.json()["encoding"] == "UCS-2" and response.json()["segments"] == 2
    other = await world.customer("Brian's customer", "0733000111", agent="brian")
    assert_error_shape(await world.api("POST", "/api/messages/preview",
                                       json={"body": "x", "customer_id": other["id"]}), 404, "not-found")


async def test_an_unknown_template_variable_is_refused_when_saved(world: World) -> None:
    lists = (await world.api("GET", "/api/config/lists", "admin")).json()
    templates = lists["templates"]
    templates["templates"][0]["body"] = "Dear {first_name}, pay {amount_owed} today."
    response = await world.api("PUT", "/api/config/lists/templates", "admin", json=templates)
    body = assert_error_shape(response, 422, "validation-failed")
    assert "amount_owed" in body["message"]
    templates["templates"][0]["body"] = "Dear {first_name}, pay {amount_due} by {due_date}. {agent_name}"
    assert (await world.api("PUT", "/api/config/lists/templates", "admin", json=templates)).status_code == 200


@pytest.mark.parametrize("sms_overrides", [{"providers": []}])
async def test_sms_off_says_so(world: World, sms_overrides: dict[str, Any]) -> None:
    customer = await world.customer()
    status = (await world.api("GET", "/api/messaging/status")).json()
    assert status["sms"] == {"on": False, "providers": []} and status["email"]["on"] is True
    response = await _send(world, customer["id"], body="hello")
    body = assert_error_shape(response, 409, "messaging-off")
    assert "SMS is off" in body["message"]
